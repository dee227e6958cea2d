using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LVPrune.Quantization;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune quantize`: writes an int8 copy of a model folder (the language model's projections as int8 + scales) that loads strictly.</summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(required: true);
        var output = new Option<string>("--out") { Description = "the folder to write (config, tokenizer and adapter files are copied)", Required = true };
        var group = new Option<int>("--group-size") { Description = "inputs per scale: 32 (llama.cpp's Q8_0) or 64", DefaultValueFactory = _ => Int8Checkpoint.Default.GroupSize }.AcceptOnlyFromAmong("32", "64");
        var scales = new Option<string>("--scale-dtype") { Description = "the scales' dtype: F16 (as Q8_0) or F32", DefaultValueFactory = _ => Int8Checkpoint.Default.ScaleDType }.AcceptOnlyFromAmong("F16", "F32");
        var json = CommonOptions.Json();
        var cmd = new Command("quantize", "Write an int8 copy of a model: the language model's projections in symmetric groups with scales.") { model, output, group, scales, json };
        cmd.SetAction(r =>
        {
            var format = new Int8Checkpoint(r.GetValue(group), r.GetValue(scales)!);
            var report = CheckpointQuantizer.Quantize(r.GetValue(model)!, r.GetValue(output)!, format, log: s => CliIO.Err.WriteLine(s));
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"wrote {r.GetValue(output)}: {report.Quantized.Count} tensors int8 (groups of {format.GroupSize}, {format.ScaleDType} scales), {report.Kept.Count} kept; {report.BytesBefore / 1e9:F3} GB -> {report.BytesAfter / 1e9:F3} GB");
            if (r.GetValue(json))
            {
                CliIO.Err.WriteLine(summary);
                CliIO.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["out"] = r.GetValue(output)!, ["group_size"] = format.GroupSize, ["scale_dtype"] = format.ScaleDType,
                    ["quantized"] = report.Quantized, ["kept"] = report.Kept.Count, ["bytes_before"] = report.BytesBefore, ["bytes_after"] = report.BytesAfter,
                }));
            }
            else CliIO.Out.WriteLine(summary);
            return 0;
        });
        return cmd;
    }
}
