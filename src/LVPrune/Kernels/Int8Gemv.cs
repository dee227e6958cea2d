using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LVPrune.Quantization;
using static TorchSharp.torch;

namespace LVPrune.Kernels;

/// <summary>How <see cref="Int8Gemv"/> multiplies.</summary>
public enum Int8GemvMode
{
    /// <summary>
    /// Activations stay fp32: each run of 8 (16) int8 weights is sign-extended, converted to fp32
    /// and multiplied into a per-group fp32 sum, which is scaled once per group. Exact up to fp32 rounding.
    /// </summary>
    Fp32Activations,

    /// <summary>
    /// As llama.cpp's Q8_0 x Q8_0 on AVX2: the activations are quantized per group to int8 too (one
    /// scale per group), and each group's dot product is done in integers: vpmaddubsw (u8 x s8 pairs
    /// to int16: |x| against w with x's sign, at most 2 x 127 x 127, no saturation) then vpmaddwd to
    /// int32, then scaled by both scales in fp32. Fewer instructions per weight than widening to fp32;
    /// costs the activations' rounding to 8 bits (half a step of each group's largest |x| / 127).
    /// </summary>
    Int8Activations,

    /// <summary>As <see cref="Int8Activations"/> with AVX-VNNI's vpdpbusd doing both integer steps in one.</summary>
    VnniInt8Activations,
}

/// <summary>
/// Decode products over int8 weights (<see cref="QuantizedWeight"/>): y = x · dequant(W)^T + b with
/// x fp32 (one to four rows), y fp32, fp32 accumulation across groups. About 1.125 bytes of weight
/// and scale per weight, against 2 for bf16. AVX2 and AVX-512 for <see cref="Int8GemvMode.Fp32Activations"/>;
/// the int8-activation modes are 256-bit (AVX2; <see cref="Int8GemvMode.VnniInt8Activations"/> needs
/// AVX-VNNI, which .NET exposes in its 256-bit form only).
/// </summary>
public static unsafe class Int8Gemv
{
    public const int MaxRows = GemvChunks.MaxRows;

    /// <summary>Whether <paramref name="mode"/> with <paramref name="isa"/> runs on this CPU.</summary>
    public static bool Supported(KernelIsa isa, Int8GemvMode mode) =>
        CpuFeatures.Current.Supports(isa) && (mode != Int8GemvMode.VnniInt8Activations || CpuFeatures.Current.AvxVnni);

    /// <summary>x [..., K] (fp32) times an int8 weight [N, K], plus bias [N]: [..., N] in fp32.</summary>
    public static Tensor Linear(Tensor x, QuantizedWeight weight, Tensor? bias, KernelIsa isa, Int8GemvMode mode = Int8GemvMode.Fp32Activations) =>
        Linears(x, [(weight, bias)], isa, mode)[0];

    /// <summary>Several products of the same x in one pass over the cores.</summary>
    public static Tensor[] Linears(Tensor x, IReadOnlyList<(QuantizedWeight Weight, Tensor? Bias)> layers, KernelIsa isa, Int8GemvMode mode = Int8GemvMode.Fp32Activations)
    {
        if (!Supported(isa, mode)) throw new PlatformNotSupportedException($"this CPU cannot run the int8 GEMV {mode} with {isa} ({CpuFeatures.Current})");
        var q = layers.Select(l => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(l.Weight.Values.bytes))).ToArray();
        var s = layers.Select(l => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(l.Weight.Scales.bytes))).ToArray();
        return GemvChunks.Run(x, layers.Select(l => (l.Weight.OutFeatures, l.Weight.InFeatures, l.Bias)).ToArray(), isa, (xs, rows, k) =>
        {
            // For int8 activations, x quantized once per group size: |x_q| (u8), x_q (s8, its sign), and the scale per group.
            var quantized = new Dictionary<int, QuantizedActivations>();
            if (mode != Int8GemvMode.Fp32Activations)
                foreach (int g in layers.Select(l => l.Weight.GroupSize).Distinct()) quantized[g] = QuantizedActivations.Of(xs, rows, k, g);
            var groups = layers.Select(l => l.Weight.GroupSize).ToArray();
            var activations = groups.Select(g => quantized.GetValueOrDefault(g)).ToArray();
            return (p, o, r, xRow) =>
            {
                int g = groups[p];
                sbyte* row = (sbyte*)q[p] + (long)o * k;
                float* scales = (float*)s[p] + (long)o * (k / g);
                return mode != Int8GemvMode.Fp32Activations
                    ? activations[p]!.Dot(row, scales, r, vnni: mode == Int8GemvMode.VnniInt8Activations)
                    : isa == KernelIsa.Avx512 ? Dot512(row, scales, xRow, k, g) : Dot256(row, scales, xRow, k, g);
            };
        });
    }

    /// <summary>Σ_groups scale_g · Σ_{i in g} q[i] x[i], 8 weights per vector, two chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot256(sbyte* q, float* scales, float* x, int k, int group)
    {
        var total0 = Vector256<float>.Zero; var total1 = Vector256<float>.Zero;
        for (int g0 = 0, gi = 0; g0 < k; g0 += group, gi++)
        {
            var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
            for (int i = g0; i < g0 + group; i += 16)
            {
                a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + i)), Avx.LoadVector256(x + i), a0);
                a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + i + 8)), Avx.LoadVector256(x + i + 8), a1);
            }
            if ((gi & 1) == 0) total0 = Fma.MultiplyAdd(a0 + a1, Vector256.Create(scales[gi]), total0);
            else total1 = Fma.MultiplyAdd(a0 + a1, Vector256.Create(scales[gi]), total1);
        }
        return Vector256.Sum(total0 + total1);
    }

    /// <summary>As <see cref="Dot256"/> with 16 weights per vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot512(sbyte* q, float* scales, float* x, int k, int group)
    {
        var total0 = Vector512<float>.Zero; var total1 = Vector512<float>.Zero;
        for (int g0 = 0, gi = 0; g0 < k; g0 += group, gi++)
        {
            var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
            for (int i = g0; i < g0 + group; i += 32)
            {
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + i))), Avx512F.LoadVector512(x + i), a0);
                a1 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + i + 16))), Avx512F.LoadVector512(x + i + 16), a1);
            }
            if ((gi & 1) == 0) total0 = Avx512F.FusedMultiplyAdd(a0 + a1, Vector512.Create(scales[gi]), total0);
            else total1 = Avx512F.FusedMultiplyAdd(a0 + a1, Vector512.Create(scales[gi]), total1);
        }
        return Vector512.Sum(total0 + total1);
    }

    /// <summary>x [rows, K] quantized per group as Q8_0: x ≈ xq · sx, kept as |xq| (u8) and xq (s8) for vpdpbusd's sign trick.</summary>
    private sealed class QuantizedActivations(byte[] magnitude, sbyte[] signed, float[] scales, int k, int group)
    {
        public static QuantizedActivations Of(float[] x, int rows, int k, int group)
        {
            var magnitude = new byte[rows * k];
            var signed = new sbyte[rows * k];
            var scales = new float[rows * (k / group)];
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < k / group; g++)
                {
                    int from = r * k + g * group;
                    float max = 0f;
                    for (int i = 0; i < group; i++) max = MathF.Max(max, MathF.Abs(x[from + i]));
                    float scale = max / 127f, inverse = scale == 0f ? 0f : 1f / scale;
                    scales[r * (k / group) + g] = scale;
                    for (int i = 0; i < group; i++)
                    {
                        int v = (int)MathF.Round(x[from + i] * inverse);
                        signed[from + i] = (sbyte)v;
                        magnitude[from + i] = (byte)Math.Abs(v);
                    }
                }
            return new QuantizedActivations(magnitude, signed, scales, k, group);
        }

        /// <summary>Σ_groups sw_g · sx_g · Σ_{i in g} q[i] xq[i], the inner sums in int32 (vpdpbusd, or vpmaddubsw + vpmaddwd).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public float Dot(sbyte* q, float* weightScales, int row, bool vnni)
        {
            var total = Vector256<float>.Zero;
            var ones = Vector256.Create((short)1);
            int groups = k / group;
            fixed (byte* mp = &magnitude[row * k])
            fixed (sbyte* sp = &signed[row * k])
            fixed (float* xs = &scales[row * groups])
                for (int g = 0; g < groups; g++)
                {
                    var sum = Vector256<int>.Zero;
                    for (int i = g * group; i < (g + 1) * group; i += 32)
                    {
                        var w = Avx2.Sign(Avx.LoadVector256(q + i), Avx.LoadVector256(sp + i)); // w with x's sign (0 where x is 0)
                        var m = Avx.LoadVector256(mp + i);
                        sum = vnni
                            ? AvxVnni.MultiplyWideningAndAdd(sum, m, w)                                   // Σ |x| · w·sign(x), 4 per lane
                            : Avx2.Add(sum, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m, w), ones)); // pairs to int16, then to int32
                    }
                    total = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum), Vector256.Create(weightScales[g] * xs[g]), total);
                }
            return Vector256.Sum(total);
        }
    }
}
