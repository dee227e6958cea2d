using LVPrune.Models;

namespace LVPrune.Pruning;

/// <summary>
/// The one place a <see cref="PruningSpec"/> becomes a selector: generate, eval, forward, sweep, bench,
/// demo and removal training all build theirs here, so a method means the same everywhere.
/// Stage layers: LVPruning's are its adapter's; random takes the adapter's when one is attached or
/// named, else <see cref="KeepRatios.DefaultLayers"/>; FastV has its one stage after layer K-1.
/// </summary>
public static class SelectorFactory
{
    /// <summary>The selector for <paramref name="model"/>, or null for no pruning (dispose it: a random selector owns a generator).</summary>
    /// <param name="adapter">an attached adapter (owned by the caller); else <see cref="PruningSpec.AdapterPath"/> is loaded when the method needs it</param>
    public static ITokenSelector? Create(PruningSpec spec, LlavaForConditionalGeneration model, LVPruningAdapter? adapter = null)
    {
        LVPruningAdapter? loaded = null;
        if (adapter is null && spec.AdapterPath is not null && spec.Method is PruningMethod.LVPruning or PruningMethod.Random)
            adapter = loaded = LVPruningAdapter.Load(spec.AdapterPath, model);
        try
        {
            var selector = Create(spec, model.Config.ImageTokens, model.Decoder.LayerCount, adapter, ownsAdapter: loaded is not null && spec.Method == PruningMethod.LVPruning);
            if (selector is LVPruningSelector) loaded = null; // the selector owns it now
            return selector;
        }
        finally { loaded?.Dispose(); }
    }

    /// <summary>The same from the model's sizes.</summary>
    /// <param name="ownsAdapter">an LVPruning selector disposes <paramref name="adapter"/> with itself</param>
    /// <param name="rows">where the batch's rows sit in a global batch split across processes (random draws are the global batch's, sliced)</param>
    public static ITokenSelector? Create(PruningSpec spec, int imageTokens, int decoderLayers, LVPruningAdapter? adapter, bool ownsAdapter = false,
                                         BatchSlice? rows = null)
    {
        switch (spec.Method)
        {
            case PruningMethod.None:
                return null;
            case PruningMethod.LVPruning:
                if (adapter is null) throw new LVPruneException("--method lvpruning needs --adapter FILE (a trained LVPruning adapter)");
                return new LVPruningSelector(adapter, spec.Keep ?? adapter.TrainingKeep, imageTokens, PruningMode.Infer, ownsAdapter: ownsAdapter);
            case PruningMethod.Random:
            {
                var keep = spec.Keep ?? adapter?.TrainingKeep ?? KeepRatios.FromRho(0.5);
                var layers = adapter?.Layers ?? KeepRatios.DefaultLayers(decoderLayers, keep.Count);
                if (layers.Count != keep.Count) throw new LVPruneException($"{keep.Count} keep ratios for {layers.Count} stages");
                return new RandomSelector(layers, keep, imageTokens, spec.RowSeeds ?? [spec.Seed], rows);
            }
            case PruningMethod.FastV:
                return new FastVSelector(spec.FastVK, spec.FastVShare ?? 0.5, imageTokens, decoderLayers);
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Method, "unknown pruning method");
        }
    }
}
