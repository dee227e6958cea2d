using System.CommandLine;
using LVPrune.Checkpoints;
using LVPrune.Generation;
using LVPrune.Pruning;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune forward`: tensors in, logits / image features / greedy tokens out (parity checks).</summary>
public static class ForwardCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(required: true);
        var inputs = new Option<string>("--inputs") { Description = "safetensors with input_ids int64 [B,T], pixel_values float32 [B,3,H,W], optional attention_mask int64 [B,T]", Required = true };
        var output = new Option<string>("--out") { Description = "safetensors to write: logits [B,T',V], image_features [B,N,D], kept_token_indices [B,T'], generated_ids [B,N]", Required = true };
        var plan = new Option<string>("--keep-plan") { Description = "JSON plan: {\"stages\":[{\"after_layer\":1,\"keep_image_tokens\":[0,3,5]}]}" };
        var generate = new Option<int>("--generate") { Description = "also generate N greedy tokens (not stopping at EOS)", DefaultValueFactory = _ => 0 };
        var dtype = CommonOptions.DType();
        var compute = CommonOptions.Compute();
        var quantize = CommonOptions.Quantize();
        var device = CommonOptions.Device();
        var pruning = new PruningOptions();
        var cmd = new Command("forward", "Run the model on tensors from a file and write its outputs (numerical debugging and parity checks).")
        {
            model, inputs, output, plan, generate, dtype, compute, quantize, device,
        };
        pruning.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var spec = pruning.Spec(r, r.GetValue(model)!);
            var planPath = r.GetValue(plan);
            if (planPath is not null && spec.Method != PruningMethod.None)
                throw new LVPruneException("give --keep-plan or a pruning method, not both");
            using var m = CommonOptions.LoadModel(r.GetValue(model)!, r.GetValue(dtype), r.GetValue(device), CliIO.Err,
                                                   CommonOptions.Runtime(r.GetValue(compute), r.GetValue(quantize)));
            using var selector = planPath is not null
                ? KeepPlan.Load(planPath, m.Decoder.LayerCount, m.Config.ImageTokens)
                : SelectorFactory.Create(spec, m);
            var tensors = ForwardDump.Run(m, r.GetValue(inputs)!, selector, r.GetValue(generate));
            Safetensors.Save(r.GetValue(output)!, tensors);
            CliIO.Err.WriteLine($"wrote {r.GetValue(output)}: {string.Join(", ", tensors.Select(kv => $"{kv.Key} [{string.Join(",", kv.Value.shape)}]"))}");
            return 0;
        });
        return cmd;
    }
}
