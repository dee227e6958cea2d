using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// Inference-time pruning (paper sec. 3.3, eq. 13-14). A stage ranks its live image tokens by a score,
/// Q^s = argsort(D_ls) (eq. 13), and keeps the top k_s = rho_s x |I_V| of them
/// (<see cref="KeepRatios.Count"/>); every text token goes on. The kept tokens stay in their original
/// order, and the decoder gathers every per-token tensor with the same indices, position ids
/// included, so each kept token keeps its ORIGINAL rotary position:
/// PE^s = [PE^1 of the kept image tokens, PE^1 of the text tokens] (eq. 14; Models.TokenState.Gather).
/// Every selector's inference path ends here: LVPruning ranks by the decision module's keep score,
/// FastV by received attention, random by a random draw.
/// </summary>
public static class TopKRemoval
{
    /// <summary>Positions [B, Nv] of the image tokens among the live tokens (every row has the same count).</summary>
    public static Tensor ImagePositions(Tensor isImage) => KeepMask.ToIndices(isImage);

    /// <summary>
    /// Gather indices [B, T'] that keep every text token and the <paramref name="k"/> image tokens with the
    /// highest <paramref name="scores"/> [B, Nv] (one per image token at <paramref name="imagePos"/>), in original order.
    /// </summary>
    public static Tensor KeepIndices(Tensor isImage, Tensor imagePos, Tensor scores, int k)
    {
        using var scope = NewDisposeScope();
        var top = scores.topk(k, dim: 1).indexes;                                    // [B, k] (order restored by the scatter)
        var keepImage = zeros(imagePos.shape, ScalarType.Bool, isImage.device).scatter(1, top, ones_like(top, ScalarType.Bool)); // [B, Nv]
        var keep = isImage.logical_not().clone();                                     // [B, T]: every text token
        keep.scatter_(1, imagePos, keepImage);
        return KeepMask.ToIndices(keep).MoveToOuterDisposeScope();                    // [B, T'] ascending
    }
}
