using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Checkpoints;
using LVPrune.Kernels;
using LVPrune.Models;

namespace LVPrune.Cli.Commands;

/// <summary>
/// `lvprune inspect`: configuration, parameter count, dtype and memory of a checkpoint, without loading
/// weights; and the compute path a load with the same --dtype/--compute/--quantize would run on this machine.
/// </summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var dtype = CommonOptions.DType();
        var compute = CommonOptions.Compute();
        var quantize = CommonOptions.Quantize();
        var json = CommonOptions.Json();
        var cmd = new Command("inspect", "Show a checkpoint's configuration, parameter count, dtypes, memory needs and the compute path it would run here.")
        {
            model, dtype, compute, quantize, json,
        };
        cmd.SetAction(r =>
        {
            var info = CheckpointInfo.Read(CommonOptions.ResolveModel(r.GetValue(model)));
            var weights = WeightDType.Resolve(r.GetValue(dtype), info.Config);
            bool int8 = info.DTypes.ContainsKey("I8") || r.GetValue(quantize) == "int8";
            var runtime = CommonOptions.Runtime(r.GetValue(compute), r.GetValue(quantize));
            var (choice, computeDType) = runtime.ResolveCompute(weights, int8, TorchSharp.torch.CPU);
            string weightKind = int8 ? "int8" : WeightDType.Name(weights);
            if (r.GetValue(json))
            {
                var node = JsonSerializer.SerializeToNode(info)!.AsObject();
                node["weight_dtype"] = weightKind;
                node["compute_dtype"] = WeightDType.Name(computeDType);
                node["compute_reason"] = choice.Reason;
                node["kernel_isa"] = choice.Isa?.ToString().ToLowerInvariant();
                node["cpu"] = CpuFeatures.Current.ToString();
                CliIO.Out.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                CliIO.Out.Write(info.ToText());
                CliIO.Out.WriteLine($"compute       {weightKind} weights, {WeightDType.Name(computeDType)} compute: {choice.Reason} (cpu: {CpuFeatures.Current})");
            }
            return 0;
        });
        return cmd;
    }
}
