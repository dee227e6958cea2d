using static TorchSharp.torch;

namespace LVPrune.Quantization;

/// <summary>
/// A weight W [out, in] stored as int8 in symmetric groups along the input dimension, as llama.cpp's
/// Q8_0: for each output row and each run of <see cref="GroupSize"/> inputs, scale = max|w| / 127 and
/// q = round(w / scale) in [-127, 127], so W ≈ q · scale. Holds the int8 values [out, in] and the
/// scales [out, in / group] in fp32 (a checkpoint may store them in fp16: <see cref="Quantize"/>
/// rounds the scales to that precision first, so a save and a load give back the same weight).
/// About 1.125 bytes per weight with groups of 32, against 2 for bf16. Owns its tensors.
/// </summary>
public sealed class QuantizedWeight : IDisposable
{
    /// <summary>The group sizes LVPrune reads and writes (llama.cpp's Q8_0 uses 32).</summary>
    public static IReadOnlyList<int> GroupSizes { get; } = [32, 64];

    /// <summary>int8 [out, in].</summary>
    public Tensor Values { get; }

    /// <summary>fp32 [out, in / GroupSize].</summary>
    public Tensor Scales { get; }

    /// <summary>Inputs per scale.</summary>
    public int GroupSize { get; }

    public long OutFeatures => Values.shape[0];
    public long InFeatures => Values.shape[1];

    /// <summary>Takes ownership of <paramref name="values"/> (int8 [out, in]) and <paramref name="scales"/> ([out, in / group], any float type: kept as fp32).</summary>
    public QuantizedWeight(Tensor values, Tensor scales, int groupSize)
    {
        if (!GroupSizes.Contains(groupSize)) throw new ArgumentException($"group size {groupSize}: must be one of {string.Join(", ", GroupSizes)}");
        if (values.dtype != ScalarType.Int8 || values.dim() != 2) throw new ArgumentException($"values must be int8 [out, in], got {values.dtype} [{string.Join(", ", values.shape)}]");
        long outF = values.shape[0], inF = values.shape[1];
        if (inF % groupSize != 0) throw new ArgumentException($"{inF} inputs are not a whole number of groups of {groupSize}");
        if (scales.dim() != 2 || scales.shape[0] != outF || scales.shape[1] != inF / groupSize)
            throw new ArgumentException($"scales must be [{outF}, {inF / groupSize}] for groups of {groupSize}, got [{string.Join(", ", scales.shape)}]");
        if (!scales.is_floating_point()) throw new ArgumentException($"scales must be floating point, got {scales.dtype}");
        Values = values.contiguous().DetachFromDisposeScope();
        Scales = scales.to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
        GroupSize = groupSize;
    }

    /// <summary>
    /// Quantizes <paramref name="weight"/> [out, in] (any float type) in groups of <paramref name="groupSize"/>;
    /// <paramref name="scaleType"/> (Float32 or Float16) is the precision the scales are rounded to.
    /// </summary>
    public static QuantizedWeight Quantize(Tensor weight, int groupSize = 32, ScalarType scaleType = ScalarType.Float32)
    {
        if (weight.dim() != 2) throw new ArgumentException($"weight must be [out, in], got [{string.Join(", ", weight.shape)}]");
        if (scaleType is not (ScalarType.Float32 or ScalarType.Float16)) throw new ArgumentException($"scale type {scaleType}: must be Float32 or Float16");
        if (!GroupSizes.Contains(groupSize)) throw new ArgumentException($"group size {groupSize}: must be one of {string.Join(", ", GroupSizes)}");
        long outF = weight.shape[0], inF = weight.shape[1];
        if (inF % groupSize != 0) throw new ArgumentException($"{inF} inputs are not a whole number of groups of {groupSize}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = weight.detach().to(ScalarType.Float32).view(outF, inF / groupSize, groupSize); // [out, groups, group]
        var scale = w.abs().amax([-1]).div_(127f).to(scaleType).to(ScalarType.Float32);     // [out, groups]
        var inverse = where(scale.eq(0f), zeros_like(scale), scale.reciprocal());
        var q = w.mul(inverse.unsqueeze(-1)).round_().clamp_(-127, 127).to(ScalarType.Int8).view(outF, inF); // [out, in]
        return new QuantizedWeight(q, scale, groupSize); // detaches its own handles from this scope
    }

    /// <summary>q · scale as a new [out, in] tensor of <paramref name="dtype"/> (the product computed in fp32).</summary>
    public Tensor Dequantize(ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var w = Values.to(ScalarType.Float32).view(OutFeatures, InFeatures / GroupSize, GroupSize) // [out, groups, group]
            .mul(Scales.unsqueeze(-1)).view(OutFeatures, InFeatures);                             // [out, in]
        return w.to(dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Bytes this weight holds in memory (values and fp32 scales).</summary>
    public long Bytes => Values.numel() + Scales.numel() * 4;

    public void Dispose()
    {
        Values.Dispose();
        Scales.Dispose();
    }
}
