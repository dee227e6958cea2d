using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>Turns per-token keep decisions into the gather indices the decoder's removal path takes.</summary>
public static class KeepMask
{
    /// <summary>
    /// Indices [B, T'] of the true entries of <paramref name="keep"/> [B, T], ascending per row (so the
    /// kept tokens stay in their original order). Every row must keep the same count, which holds
    /// whenever each row keeps all its text and the same number of image tokens.
    /// </summary>
    public static Tensor ToIndices(Tensor keep)
    {
        using var scope = NewDisposeScope();
        long B = keep.shape[0];
        var counts = keep.sum([1]);
        long first = counts[0].ToInt64();
        if (!counts.eq(first).all().ToBoolean())
            throw new InvalidOperationException("every row of a batch must keep the same number of tokens");
        var nz = keep.nonzero();                        // [B*T', 2] in row-major order
        return nz.select(1, 1).view(B, first).MoveToOuterDisposeScope(); // [B, T']
    }

    /// <summary>
    /// Gather indices that keep every text token and the live image tokens at <paramref name="top"/>
    /// [B, k] (indices into <paramref name="imagePos"/> [B, Nv], the image tokens' positions).
    /// The one step every selector ends with; only how <paramref name="top"/> is chosen differs.
    /// </summary>
    public static Tensor KeepImageSubset(Tensor isImage, Tensor imagePos, Tensor top)
    {
        using var scope = NewDisposeScope();
        var keepImage = zeros(imagePos.shape, ScalarType.Bool, isImage.device).scatter(1, top, ones_like(top, ScalarType.Bool));
        var keep = isImage.logical_not().clone();
        keep.scatter_(1, imagePos, keepImage);
        return ToIndices(keep).MoveToOuterDisposeScope();
    }

    /// <summary>Keep every text token and the image tokens whose flag in <paramref name="keepImage"/> [B, N] is set.</summary>
    public static Tensor FromImageFlags(TokenStateView tokens, Tensor keepImage)
    {
        using var scope = NewDisposeScope();
        var isImage = tokens.ImageIndex.ge(0);
        var lookup = keepImage.gather(1, tokens.ImageIndex.clamp_min(0));  // [B, T]
        return isImage.logical_not().logical_or(lookup).MoveToOuterDisposeScope();
    }
}

/// <summary>The per-token fields a selection needs (a view of <see cref="Models.TokenState"/>).</summary>
public readonly record struct TokenStateView(Tensor ImageIndex, Tensor Guide, Tensor Valid)
{
    public static implicit operator TokenStateView(Models.TokenState t) => new(t.ImageIndex, t.Guide, t.Valid);
}
