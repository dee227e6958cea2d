using LVPrune.Models;

namespace LVPrune.Pruning;

/// <summary>Which tokens a run keeps: none (no pruning), lvpruning, random, fastv.</summary>
public enum PruningMethod { None, LVPruning, Random, FastV }

/// <summary>
/// Everything a command line says about pruning, turned into a selector for a model. Every method
/// goes through the same removal path; only the choice of tokens differs.
/// </summary>
public sealed record PruningSpec
{
    public PruningMethod Method { get; init; } = PruningMethod.None;
    public string? AdapterPath { get; init; }
    /// <summary>Per-stage keep ratios; null = the adapter's training ratios (lvpruning) or [0.5, 0.3, 0.1].</summary>
    public IReadOnlyList<double>? Keep { get; init; }
    public long Seed { get; init; } = 0;
    public int FastVK { get; init; } = 2;
    /// <summary>FastV's kept share; null = 0.5, FastV's default.</summary>
    public double? FastVShare { get; init; }

    public static PruningMethod ParseMethod(string text) => text switch
    {
        "none" => PruningMethod.None,
        "lvpruning" => PruningMethod.LVPruning,
        "random" => PruningMethod.Random,
        "fastv" => PruningMethod.FastV,
        _ => throw new LVPruneException($"--method '{text}' is not one of none, lvpruning, random, fastv"),
    };

    public static string Name(PruningMethod m) => m switch
    {
        PruningMethod.None => "none", PruningMethod.LVPruning => "lvpruning", PruningMethod.Random => "random", _ => "fastv",
    };

    /// <summary>The selector for <paramref name="model"/>, or null for no pruning. Loads the adapter when one is named.</summary>
    public ITokenSelector? CreateSelector(LlavaForConditionalGeneration model, LVPruningAdapter? adapter = null)
    {
        int imageTokens = model.Config.ImageTokens;
        int depth = model.Decoder.LayerCount;
        if (adapter is null && AdapterPath is not null && Method is PruningMethod.LVPruning or PruningMethod.Random)
            adapter = LVPruningAdapter.Load(AdapterPath, model);
        switch (Method)
        {
            case PruningMethod.None:
                return null;
            case PruningMethod.LVPruning:
                if (adapter is null) throw new LVPruneException("--method lvpruning needs --adapter FILE (a trained LVPruning adapter)");
                return new LVPruningSelector(adapter, Keep ?? adapter.TrainingKeep, imageTokens, PruningMode.Infer);
            case PruningMethod.Random:
            {
                var keep = Keep ?? adapter?.TrainingKeep ?? KeepRatios.FromRho(0.5);
                var layers = adapter?.Layers ?? KeepRatios.DefaultLayers(depth, keep.Count);
                if (layers.Count != keep.Count) throw new LVPruneException($"{keep.Count} keep ratios for {layers.Count} stages");
                return new RandomSelector(layers, keep, imageTokens, Seed);
            }
            default:
                return new FastVSelector(FastVK, FastVShare ?? 0.5, imageTokens, depth);
        }
    }
}
