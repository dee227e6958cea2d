using System.CommandLine;
using LVPrune.Checkpoints;
using LVPrune.Flops;
using LVPrune.Pruning;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune flops`: the analytic prefill cost of a configuration (see Flops/FlopsModel.cs).</summary>
public static class FlopsCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "a built-in shape: llava-1.5-7b" }.AcceptOnlyFromAmong("llava-1.5-7b");
        var model = new Option<string>("--model") { Description = "model folder whose config.json gives the shape" };
        var keep = PruningOptions.KeepOption();
        var rho = PruningOptions.RhoOption();
        var text = new Option<int>("--text-tokens") { Description = "text tokens beside the image", DefaultValueFactory = _ => 30 };
        var json = CommonOptions.Json();
        var cmd = new Command("flops", "Analytic TFLOPs of one prefill (1 image + text), with or without LVPruning.")
        {
            preset, model, keep, rho, text, json,
        };
        cmd.SetAction(r =>
        {
            if ((r.GetValue(preset) is null) == (r.GetValue(model) is null))
                throw new LVPruneException("give exactly one of --preset llava-1.5-7b or --model DIR");
            var shape = r.GetValue(model) is { } dir ? FlopsShape.From(LlavaConfig.Load(dir)) : FlopsShape.Llava15_7B;
            var ratios = PruningOptions.Ratios(r.GetValue(keep), r.GetValue(rho));
            int textTokens = r.GetValue(text);
            if (textTokens < 1) throw new LVPruneException($"--text-tokens must be >= 1, got {textTokens}");
            var report = FlopsModel.Compute(shape, textTokens, ratios);
            if (r.GetValue(json)) { CliIO.Out.WriteLine(report.ToJson()); return 0; }
            var baseline = ratios is null ? null : FlopsModel.Compute(shape, textTokens);
            CliIO.Out.WriteLine($"total           {report.TotalTflops,8:F3} TFLOPs" +
                                  (baseline is null ? "" : $"   ({100 * (report.TotalTflops / baseline.TotalTflops - 1):+0.0;-0.0}% vs no pruning, {baseline.TotalTflops:F3})"));
            var p = report.Parts;
            CliIO.Out.WriteLine($"  vision tower    {p.VisionTower,8:F3}");
            CliIO.Out.WriteLine($"  projector       {p.Projector,8:F3}");
            CliIO.Out.WriteLine($"  language model  {p.LanguageModel,8:F3}");
            CliIO.Out.WriteLine($"  decision mods   {p.DecisionModules,8:F3}");
            CliIO.Out.WriteLine($"  lm head         {p.LmHead,8:F3}");
            CliIO.Out.WriteLine($"tokens per layer: {string.Join(" ", report.TokensPerLayer)}");
            return 0;
        });
        return cmd;
    }
}
