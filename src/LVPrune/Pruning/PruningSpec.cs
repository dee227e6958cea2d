namespace LVPrune.Pruning;

/// <summary>Everything a run says about pruning: the method and its settings (<see cref="SelectorFactory"/> builds the selector).</summary>
public sealed record PruningSpec
{
    public PruningMethod Method { get; init; } = PruningMethod.None;
    /// <summary>An adapter to load (lvpruning; random takes its stage layers from it), when none is attached.</summary>
    public string? AdapterPath { get; init; }
    /// <summary>Per-stage keep ratios; null = the adapter's training ratios (lvpruning, random with an adapter) or [0.5, 0.3, 0.1].</summary>
    public IReadOnlyList<double>? Keep { get; init; }
    /// <summary>Seed of random selection.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>Random selection over a batch whose rows were asked apart (serving): one seed per row, each row
    /// drawing from its own generator as it would alone; null = one generator seeded by <see cref="Seed"/>.</summary>
    public IReadOnlyList<long>? RowSeeds { get; init; }
    /// <summary>FastV's K: prune from layer K, ranked by layer K-1's attention.</summary>
    public int FastVK { get; init; } = 2;
    /// <summary>FastV's kept share; null = 0.5, FastV's default.</summary>
    public double? FastVShare { get; init; }

    public string MethodName => PruningMethods.Name(Method);
}
