using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// FastV (Chen et al., 2024), training-free: after decoder layer K-1 (0-based), rank the image
/// tokens by the attention they receive from the last prompt token in that layer, averaged over
/// heads, and keep the top share from layer K on, once, at prefill. Only layer K-1 computes
/// attention weights (for its last query row); every other layer keeps the fused SDPA path.
/// </summary>
public sealed class FastVSelector : ITokenSelector
{
    private readonly int _count;

    /// <param name="k">FastV's K: pruning takes effect from layer K (0-based), ranked by layer K-1</param>
    /// <param name="keepShare">fraction of the image tokens kept</param>
    public FastVSelector(int k, double keepShare, int imageTokens, int decoderLayers)
    {
        if (k < 1 || k >= decoderLayers) throw new LVPruneException($"--fastv-k must be in 1..{decoderLayers - 1}, got {k}");
        if (!(keepShare > 0 && keepShare <= 1)) throw new LVPruneException($"FastV keep share must be in (0, 1], got {keepShare}");
        Layers = [k - 1];
        KeepShare = keepShare;
        _count = KeepRatios.Count(keepShare, imageTokens);
    }

    public IReadOnlyList<int> Layers { get; }
    public int? AttentionCaptureLayer => Layers[0];
    public double KeepShare { get; }
    public int KeepCount => _count;

    public StageDecision Decide(int stage, Tensor hidden, TokenState tokens, Tensor? lastQueryAttention)
    {
        if (lastQueryAttention is null) throw new InvalidOperationException("FastV needs the captured attention of its layer");
        using var scope = NewDisposeScope();
        var isImage = tokens.IsImage;
        var imagePos = KeepMask.ToIndices(isImage);                                   // [B, Nv]
        long B = imagePos.shape[0], Nv = imagePos.shape[1];
        if (_count >= Nv) return StageDecision.KeepAll;
        var received = lastQueryAttention.gather(1, imagePos);                        // [B, Nv]
        var top = Rank(received, _count);
        return new StageDecision(KeepIndices: KeepMask.KeepImageSubset(isImage, imagePos, top).MoveToOuterDisposeScope());
    }

    /// <summary>Indices of the <paramref name="count"/> largest scores per row [B, count].</summary>
    public static Tensor Rank(Tensor scores, int count) => scores.topk(count, dim: 1).indexes;
}
