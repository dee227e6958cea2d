using LVPrune.Flops;
using LVPrune.Models;
using LVPrune.Pruning;

namespace LVPrune.Benchmarking;

/// <summary>
/// Runs no pruning (the baseline) and every requested method at every budget on one loaded model,
/// with the speed-up of each against the baseline. LVPruning without an adapter uses random
/// decision modules (timing does not depend on their values); random prunes at the adapter's stages
/// (the given one's, else the default ones), whatever the order of the methods; FastV's
/// share matches LVPruning's TFLOPs at each budget unless one is given. Selectors come from the one
/// <see cref="SelectorFactory"/>.
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
        var pruned = methods.Where(m => m != PruningMethod.None).ToList();
        if (pruned.Count == 0) return runs;
        // One adapter for every method and budget, decided before any run: its stage layers are random's too.
        // Without one (and without lvpruning) random prunes at the default layers, which random modules would have.
        using var adapter = adapterPath is not null ? LVPruningAdapter.Load(adapterPath, model)
                          : pruned.Contains(PruningMethod.LVPruning) ? RandomAdapter(model, budgets[0]) : null;
        foreach (var keep in budgets)
        foreach (var method in pruned)
        {
            var spec = new PruningSpec { Method = method, Keep = keep, FastVK = fastvK };
            double[]? flopsKeep = keep;
            if (method == PruningMethod.FastV)
            {
                var shape = FlopsShape.From(model.Config, adapter?.Layers ?? KeepRatios.DefaultLayers(model.Decoder.LayerCount, keep.Length));
                double lvTflops = FlopsModel.Compute(shape, textTokens, keep).TotalTflops;
                double share = fastvShare ?? FastVBudget.MatchShare(shape, textTokens, fastvK, lvTflops);
                spec = spec with { Keep = null, FastVShare = share };
                flopsKeep = [share];
            }
            using var selector = SelectorFactory.Create(spec, model, adapter)!;
            log($"{spec.MethodName} keep [{string.Join(", ", flopsKeep)}]:");
            var run = BenchRunner.Run(model, spec.MethodName, selector, flopsKeep, method == PruningMethod.LVPruning,
                                      textTokens, newTokens, repeat, log);
            runs.Add(run with { Speedup = baseline.TtftS / run.TtftS });
        }
        return runs;
    }

    /// <summary>Decision modules of the paper's shape with cheaply filled random weights.</summary>
    public static LVPruningAdapter RandomAdapter(LlavaForConditionalGeneration model, IReadOnlyList<double> keep)
    {
        var cfg = new DecisionModuleConfig { Width = model.Config.TextConfig.HiddenSize };
        var adapter = new LVPruningAdapter(cfg, KeepRatios.DefaultLayers(model.Decoder.LayerCount, keep.Count), keep,
                                           BaseIdentity.Of(model), model.ComputeDType, model.Device);
        BenchModels.Fill(adapter, 1);
        adapter.eval();
        model.UseRuntimeIn(adapter);
        return adapter;
    }
}
