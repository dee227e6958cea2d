using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// The floor any learned method must beat: the same stages and budgets as LVPruning, with the
/// live vision tokens to keep drawn uniformly at random (seeded; independently per row). Owns its
/// generator: dispose it.
/// </summary>
public sealed class RandomSelector : ITokenSelector
{
    private readonly int[] _counts;
    private readonly TorchSharp.torch.Generator _generator;

    public RandomSelector(IReadOnlyList<int> layers, IReadOnlyList<double> keep, int imageTokens, long seed)
    {
        if (layers.Count != keep.Count) throw new LVPruneException($"{keep.Count} keep ratios for {layers.Count} stages");
        KeepRatios.Validate(keep);
        Layers = layers.ToArray();
        Keep = keep.ToArray();
        Stages = layers.Select(l => new SelectionStage(l)).ToArray();
        _counts = KeepRatios.Counts(keep, imageTokens);
        _generator = new TorchSharp.torch.Generator((ulong)seed);
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
        var score = rand([B, Nv], generator: _generator).to(input.Hidden.device);          // [B, Nv]
        return new StageDecision(KeepIndices: TopKRemoval.KeepIndices(isImage, imagePos, score, k).MoveToOuterDisposeScope(),
                                 Scores: score.MoveToOuterDisposeScope());
    }

    public void Dispose() => _generator.Dispose();
}
