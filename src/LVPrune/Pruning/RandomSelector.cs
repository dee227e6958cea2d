using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// The floor any learned method must beat: the same stages and budgets as LVPruning, with the
/// live vision tokens to keep drawn uniformly at random (seeded; independently per row). With one
/// seed, one generator draws the whole batch's scores [B, Nv]; with one seed per row (serving), each
/// row draws [1, Nv] from its own generator, so a row keeps what it keeps alone in any batch. Owns its
/// generators: dispose it.
/// </summary>
public sealed class RandomSelector : ITokenSelector
{
    private readonly int[] _counts;
    private readonly TorchSharp.torch.Generator[] _generators;
    private readonly BatchSlice? _rows;

    /// <param name="rows">where the batch's rows sit in a global batch split across processes (the draws are the global batch's, sliced)</param>
    public RandomSelector(IReadOnlyList<int> layers, IReadOnlyList<double> keep, int imageTokens, long seed, BatchSlice? rows = null)
        : this(layers, keep, imageTokens, [seed], rows) { }

    /// <param name="seeds">one seed for the batch, or one per row</param>
    /// <param name="rows">with one seed: where the batch's rows sit in a global batch split across processes</param>
    public RandomSelector(IReadOnlyList<int> layers, IReadOnlyList<double> keep, int imageTokens, IReadOnlyList<long> seeds, BatchSlice? rows = null)
    {
        if (seeds.Count == 0) throw new ArgumentException("no seed", nameof(seeds));
        if (rows is not null && seeds.Count != 1) throw new ArgumentException("a global-batch slice takes one seed", nameof(rows));
        _rows = rows;
        if (layers.Count != keep.Count) throw new LVPruneException($"{keep.Count} keep ratios for {layers.Count} stages");
        KeepRatios.Validate(keep);
        Layers = layers.ToArray();
        Keep = keep.ToArray();
        Stages = layers.Select(l => new SelectionStage(l)).ToArray();
        _counts = KeepRatios.Counts(keep, imageTokens);
        _generators = seeds.Select(s => new TorchSharp.torch.Generator((ulong)s)).ToArray();
    }

    public IReadOnlyList<SelectionStage> Stages { get; }
    public IReadOnlyList<int> Layers { get; }
    public IReadOnlyList<double> Keep { get; }
    public IReadOnlyList<int> KeepCounts => _counts;

    public StageDecision Decide(StageInput input)
    {
        using var scope = NewDisposeScope();
        var isImage = input.Tokens.IsImage;
        var imagePos = TopKRemoval.ImagePositions(isImage);                                 // [B, Nv]
        long B = imagePos.shape[0], Nv = imagePos.shape[1];
        int k = _counts[input.Stage];
        if (k >= Nv) return StageDecision.KeepAll;
        var score = Draw(B, Nv).to(input.Hidden.device);                                    // [B, Nv]
        return new StageDecision(KeepIndices: TopKRemoval.KeepIndices(isImage, imagePos, score, k).MoveToOuterDisposeScope(),
                                 Scores: score.MoveToOuterDisposeScope());
    }

    /// <summary>Uniform scores [B, Nv]: one draw from the batch's generator, or a row from each row's own.</summary>
    private Tensor Draw(long B, long Nv)
    {
        if (_generators.Length == 1) return BatchSlice.Uniform([B, Nv], _rows, _generators[0]);
        if (_generators.Length != B) throw new InvalidOperationException($"{_generators.Length} row seeds for a batch of {B}");
        return cat(_generators.Select(g => rand([1, Nv], generator: g)).ToArray(), 0);    // [B, Nv]
    }

    public void Dispose()
    {
        foreach (var g in _generators) g.Dispose();
    }
}
