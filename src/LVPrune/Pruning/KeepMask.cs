using TorchSharp;
using static TorchSharp.torch;
using LVPrune.Models;

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
        long first = counts[0].ReadLong();
        using var firstScalar = first.ToScalar();
        if (!counts.eq(firstScalar).all().ReadBool())
            throw new InvalidOperationException("every row of a batch must keep the same number of tokens");
        var nz = keep.nonzero();                        // [B*T', 2] in row-major order
        return nz.select(1, 1).view(B, first).MoveToOuterDisposeScope(); // [B, T']
    }

    /// <summary>Keep every text token and the image tokens whose flag in <paramref name="keepImage"/> [B, N] is set.</summary>
    public static Tensor FromImageFlags(TokenStateView tokens, Tensor keepImage)
    {
        using var scope = NewDisposeScope();
        var isImage = tokens.ImageIndex.ge(Models.Scalars.Zero);
        var lookup = keepImage.gather(1, tokens.ImageIndex.clamp_min(Models.Scalars.Zero));  // [B, T]
        return isImage.logical_not().logical_or(lookup).MoveToOuterDisposeScope();
    }
}

/// <summary>The per-token fields a selection needs (a view of <see cref="Models.TokenState"/>).</summary>
public readonly record struct TokenStateView(Tensor ImageIndex, Tensor Guide, Tensor Valid)
{
    public static implicit operator TokenStateView(Models.TokenState t) => new(t.ImageIndex, t.Guide, t.Valid);
}
