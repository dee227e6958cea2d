using static TorchSharp.torch;

namespace LVPrune.Quantization;

/// <summary>
/// A weight W [out, in] stored as 4-bit integers in symmetric groups of 32 along the input dimension
/// (the size of llama.cpp's Q4_0): scale = max|w| / 7 per group, q = round(w / scale) in [-7, 7],
/// W ≈ q · scale. Two values per byte, stored offset by 8 (0..15): byte j of a row holds input 2j in
/// its low nibble and input 2j + 1 in its high nibble. Scales fp32 [out, in / 32]. About 0.625 bytes
/// per weight, against 1.125 for <see cref="QuantizedWeight"/> (int8) and 2 for bf16; the rounding
/// error is 18x int8's (half a step of max|w| / 7 instead of / 127). Owns its tensors.
/// </summary>
public sealed class Int4Weight : IDisposable
{
    public const int GroupSize = 32;

    /// <summary>uint8 [out, in / 2], two offset nibbles per byte.</summary>
    public Tensor Packed { get; }

    /// <summary>fp32 [out, in / 32].</summary>
    public Tensor Scales { get; }

    public long OutFeatures => Packed.shape[0];
    public long InFeatures => Packed.shape[1] * 2;

    /// <summary>Takes ownership of <paramref name="packed"/> (uint8 [out, in / 2]) and <paramref name="scales"/> ([out, in / 32], any float type: kept as fp32).</summary>
    public Int4Weight(Tensor packed, Tensor scales)
    {
        if (packed.dtype != ScalarType.Byte || packed.dim() != 2) throw new ArgumentException($"packed values must be uint8 [out, in / 2], got {packed.dtype} [{string.Join(", ", packed.shape)}]");
        long outF = packed.shape[0], inF = packed.shape[1] * 2;
        if (inF % GroupSize != 0) throw new ArgumentException($"{inF} inputs are not a whole number of groups of {GroupSize}");
        if (scales.dim() != 2 || scales.shape[0] != outF || scales.shape[1] != inF / GroupSize || !scales.is_floating_point())
            throw new ArgumentException($"scales must be float [{outF}, {inF / GroupSize}], got {scales.dtype} [{string.Join(", ", scales.shape)}]");
        Packed = packed.contiguous().DetachFromDisposeScope();
        Scales = scales.to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
    }

    /// <summary>Quantizes <paramref name="weight"/> [out, in] (any float type; in a multiple of 32).</summary>
    public static Int4Weight Quantize(Tensor weight)
    {
        if (weight.dim() != 2) throw new ArgumentException($"weight must be [out, in], got [{string.Join(", ", weight.shape)}]");
        long outF = weight.shape[0], inF = weight.shape[1];
        if (inF % GroupSize != 0) throw new ArgumentException($"{inF} inputs are not a whole number of groups of {GroupSize}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = weight.detach().to(ScalarType.Float32).view(outF, inF / GroupSize, GroupSize); // [out, groups, 32]
        var scale = w.abs().amax([-1]).div_(7f);                                              // [out, groups]
        var inverse = where(scale.eq(0f), zeros_like(scale), scale.reciprocal());
        var q = w.mul(inverse.unsqueeze(-1)).round_().clamp_(-8, 7).add_(8).to(ScalarType.Byte).view(outF, inF / 2, 2); // [out, in/2, 2]
        var packed = q.select(2, 0).bitwise_or(q.select(2, 1).bitwise_left_shift(4));        // [out, in/2]: low nibble even, high odd
        return new Int4Weight(packed, scale);
    }

    /// <summary>q · scale as a new [out, in] tensor of <paramref name="dtype"/>.</summary>
    public Tensor Dequantize(ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var low = Packed.bitwise_and(15).to(ScalarType.Float32).sub_(8);                        // [out, in/2]: inputs 2j
        var high = Packed.bitwise_right_shift(4).to(ScalarType.Float32).sub_(8);               // inputs 2j + 1
        var q = stack([low, high], 2).view(OutFeatures, InFeatures / GroupSize, GroupSize);     // [out, groups, 32]
        return q.mul(Scales.unsqueeze(-1)).view(OutFeatures, InFeatures).to(dtype).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Packed.Dispose();
        Scales.Dispose();
    }
}
