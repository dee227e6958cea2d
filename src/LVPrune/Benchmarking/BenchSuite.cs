using LVPrune.Flops;
using LVPrune.Models;
using LVPrune.Pruning;

namespace LVPrune.Benchmarking;

/// <summary>
/// Runs no pruning (the baseline) and every requested method at every budget on one loaded model,
/// with the speed-up of each against the baseline. LVPruning without an adapter uses random
/// decision modules (timing does not depend on their values); FastV's share matches LVPruning's
/// TFLOPs at each budget unless one is given.
/// </summary>
public static class BenchSuite
{
    public static List<BenchRun> Run(LlavaForConditionalGeneration model, IReadOnlyList<PruningMethod> methods, IReadOnlyList<double[]> budgets,
                                     string? adapterPath, int fastvK, double? fastvShare, int textTokens, int newTokens, int repeat, Action<string> log)
    {
        var runs = new List<BenchRun>();
        log("no pruning:");
        var baseline = BenchRunner.Run(model, "none", null, null, false, textTokens, newTokens, repeat, log);
        runs.Add(baseline);
        LVPruningAdapter? adapter = null;
        try
        {
            foreach (var keep in budgets)
            foreach (var method in methods.Where(m => m != PruningMethod.None))
            {
                int imageTokens = model.Config.ImageTokens;
                ITokenSelector selector;
                double[]? flopsKeep = keep;
                switch (method)
                {
                    case PruningMethod.LVPruning:
                        adapter ??= adapterPath is not null ? LVPruningAdapter.Load(adapterPath, model) : RandomAdapter(model, keep);
                        selector = new LVPruningSelector(adapter, keep, imageTokens, PruningMode.Infer);
                        break;
                    case PruningMethod.Random:
                        selector = new RandomSelector(adapter?.Layers ?? KeepRatios.DefaultLayers(model.Decoder.LayerCount, keep.Length), keep, imageTokens, 0);
                        break;
                    default:
                        var shape = FlopsShape.From(model.Config, adapter?.Layers ?? KeepRatios.DefaultLayers(model.Decoder.LayerCount, keep.Length));
                        double lvTflops = FlopsModel.Compute(shape, textTokens, keep).TotalTflops;
                        double share = fastvShare ?? FastVBudget.MatchShare(shape, textTokens, fastvK, lvTflops);
                        selector = new FastVSelector(fastvK, share, imageTokens, model.Decoder.LayerCount);
                        flopsKeep = [share];
                        break;
                }
                log($"{PruningSpec.Name(method)} keep [{string.Join(", ", flopsKeep)}]:");
                var run = BenchRunner.Run(model, PruningSpec.Name(method), selector, flopsKeep, method == PruningMethod.LVPruning,
                                          textTokens, newTokens, repeat, log);
                runs.Add(run with { Speedup = baseline.TtftS / run.TtftS });
            }
        }
        finally { adapter?.Dispose(); }
        return runs;
    }

    /// <summary>Decision modules of the paper's shape with cheaply filled random weights.</summary>
    public static LVPruningAdapter RandomAdapter(LlavaForConditionalGeneration model, IReadOnlyList<double> keep)
    {
        var cfg = new DecisionModuleConfig { Width = model.Config.TextConfig.HiddenSize };
        var adapter = new LVPruningAdapter(cfg, KeepRatios.DefaultLayers(model.Decoder.LayerCount, keep.Count), keep,
                                           BaseIdentity.Of(model), model.DType, model.Device);
        BenchModels.Fill(adapter, 1);
        adapter.eval();
        return adapter;
    }
}
