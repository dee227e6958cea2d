using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// FastV (Chen et al., 2024), training-free: after decoder layer K-1 (0-based), rank the image
/// tokens by the attention they receive from the last prompt token in that layer, averaged over
/// heads (the stage's probe, <see cref="AttentionProbe.LastQuery"/>), and keep the top share from
/// layer K on, once, at prefill. Only layer K-1 computes attention weights (for its last query
/// row); every layer keeps its fused attention.
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
        Stages = [new SelectionStage(k - 1, AttentionProbe.LastQuery)];
        K = k;
        KeepShare = keepShare;
        _count = KeepRatios.Count(keepShare, imageTokens);
    }

    public IReadOnlyList<SelectionStage> Stages { get; }
    /// <summary>FastV's K: pruning takes effect from layer K.</summary>
    public int K { get; }
    public double KeepShare { get; }

    public StageDecision Decide(StageInput input)
    {
        var received = input.Observation ?? throw new InvalidOperationException("FastV needs its layer's last-query attention");
        using var scope = NewDisposeScope();
        var isImage = input.Tokens.IsImage;
        var imagePos = TopKRemoval.ImagePositions(isImage);                           // [B, Nv]
        long Nv = imagePos.shape[1];
        if (_count >= Nv) return StageDecision.KeepAll;
        var score = received.gather(1, imagePos);                                     // [B, Nv]
        return new StageDecision(KeepIndices: TopKRemoval.KeepIndices(isImage, imagePos, score, _count).MoveToOuterDisposeScope(),
                                 Scores: score.MoveToOuterDisposeScope());
    }
}
