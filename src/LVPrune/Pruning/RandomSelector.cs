using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// The floor any learned method must beat: the same stages and budgets as LVPruning, with the
/// live vision tokens to keep drawn uniformly at random (seeded; independently per row).
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
        _counts = KeepRatios.Counts(keep, imageTokens);
        _generator = new TorchSharp.torch.Generator((ulong)seed);
    }

    public IReadOnlyList<int> Layers { get; }
    public IReadOnlyList<int> KeepCounts => _counts;

    public StageDecision Decide(int stage, Tensor hidden, TokenState tokens, Tensor? lastQueryAttention)
    {
        using var scope = NewDisposeScope();
        var isImage = tokens.IsImage;
        var imagePos = KeepMask.ToIndices(isImage);                                         // [B, Nv]
        long B = imagePos.shape[0], Nv = imagePos.shape[1];
        int k = _counts[stage];
        if (k >= Nv) return StageDecision.KeepAll;
        var score = rand([B, Nv], generator: _generator).to(hidden.device);
        var top = score.topk(k, dim: 1).indexes;                                            // [B, k]
        return new StageDecision(KeepIndices: KeepMask.KeepImageSubset(isImage, imagePos, top).MoveToOuterDisposeScope());
    }
}
