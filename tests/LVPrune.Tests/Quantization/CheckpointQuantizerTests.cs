using LVPrune.Checkpoints;
using LVPrune.Cli;
using LVPrune.Quantization;
using LVPrune.Tests.Toy;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Quantization;

public class CheckpointQuantizerTests
{
    /// <summary>
    /// The bundled toy model quantized: every language-model projection becomes int8 with scales
    /// (8 layers x 7), every other tensor is copied bit for bit, the other files of the folder come
    /// along, the result passes the strict checks and dequantizes to within half a step of the source.
    /// </summary>
    [Fact]
    public void BundledToyModel_QuantizesToAStrictlyValidCheckpoint()
    {
        string source = CommonOptions.BundledModel;
        using var dir = new TempFolder();
        var report = CheckpointQuantizer.Quantize(source, dir.Path, Int8Checkpoint.Default);
        Assert.Equal(8 * 7, report.Quantized.Count);
        Assert.True(report.BytesAfter < 0.75 * report.BytesBefore, $"{report.BytesAfter} of {report.BytesBefore} bytes");
        foreach (var name in new[] { "config.json", "tokenizer.model", "lvpruning.safetensors" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, name)), File.ReadAllBytes(Path.Combine(dir.Path, name)));

        using var scope = NewDisposeScope();
        using var original = SafetensorsFile.Open(Path.Combine(source, "model.safetensors"));
        using var written = SafetensorsFile.Open(Path.Combine(dir.Path, "model.safetensors"));
        var format = Int8Checkpoint.FromMetadata(written.Metadata, written.Path);
        Assert.Equal(Int8Checkpoint.Default, format);
        Assert.Equal(report.Quantized.Order(StringComparer.Ordinal), format!.Validate(written));
        foreach (var key in report.Kept)
            Assert.True(written.Read(key).Equals(original.Read(key)), $"'{key}' changed");
        string up = report.Quantized.First(k => k.EndsWith("mlp.up_proj.weight"));
        using var q = format.Read(written, up);
        var w = original.Read(up, ScalarType.Float32);
        var halfStep = w.abs().view(w.shape[0], -1, 32).amax([-1], keepdim: true) / 127 / 2 * 1.01 + 1e-12; // fp16 scales: 1% slack
        Assert.True((q.Dequantize() - w).abs().view(w.shape[0], -1, 32).le(halfStep).all().item<bool>());

        var again = Assert.Throws<LVPruneException>(() => CheckpointQuantizer.Quantize(dir.Path, dir.Path + "-2", Int8Checkpoint.Default));
        Assert.Contains("already quantized", again.Message);
        Assert.Contains("must differ", Assert.Throws<LVPruneException>(() => CheckpointQuantizer.Quantize(source, source, Int8Checkpoint.Default)).Message);
    }

    [Fact]
    public void ShardedCheckpoints_KeepTheirShards_AndTheIndexMapsEachScaleBesideItsWeight()
    {
        using var src = new TempFolder();
        using var dst = new TempFolder();
        using var scope = NewDisposeScope();
        var gen = new Generator(1);
        var tensors = new Dictionary<string, Tensor>
        {
            ["language_model.model.layers.0.self_attn.q_proj.weight"] = randn([64, 64], generator: gen).to(ScalarType.BFloat16),
            ["language_model.model.layers.1.mlp.down_proj.weight"] = randn([64, 128], generator: gen).to(ScalarType.BFloat16),
            ["language_model.model.norm.weight"] = ones(64, ScalarType.BFloat16),
        };
        Safetensors.SaveSharded(src.Path, tensors, maxShardBytes: 10_000);
        var report = CheckpointQuantizer.Quantize(src.Path, dst.Path, new Int8Checkpoint(64, "F32"));
        Assert.Equal(2, report.Quantized.Count);
        var map = WeightMap(dst.Path);
        var sourceMap = WeightMap(src.Path);
        Assert.True(sourceMap.Values.Distinct().Count() > 1, "the source should span several shards");
        foreach (var key in report.Quantized)
        {
            Assert.Equal(sourceMap[key], map[key]);
            Assert.Equal(map[key], map[Int8Checkpoint.ScaleKey(key)]);
        }
        using var reader = CheckpointReader.Open(dst.Path);
        Assert.True(reader.Contains("language_model.model.norm.weight"));
    }

    /// <summary>The index's weight_map, read independently of the library's reader.</summary>
    private static Dictionary<string, string> WeightMap(string dir)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "model.safetensors.index.json")));
        return doc.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }
}
