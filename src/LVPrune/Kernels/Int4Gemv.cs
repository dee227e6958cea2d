using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LVPrune.Quantization;
using static TorchSharp.torch;

namespace LVPrune.Kernels;

/// <summary>
/// Decode products over 4-bit weights (<see cref="Int4Weight"/>): y = x · dequant(W)^T + b, x fp32
/// (one to four rows), y fp32. Each group of 32 weights (16 bytes) is unpacked to fp32
/// (<see cref="Int4Unpack"/>), multiplied into a per-group sum with x, and scaled once. About 0.625
/// bytes per weight read. AVX2 or AVX-512 as the caller chooses.
/// </summary>
public static unsafe class Int4Gemv
{
    /// <summary>x [..., K] (fp32) times a 4-bit weight [N, K], plus bias [N]: [..., N] in fp32.</summary>
    public static Tensor Linear(Tensor x, Int4Weight weight, Tensor? bias, KernelIsa isa) => Linears(x, [(weight, bias)], isa)[0];

    /// <summary>Several products of the same x in one pass over the cores.</summary>
    public static Tensor[] Linears(Tensor x, IReadOnlyList<(Int4Weight Weight, Tensor? Bias)> layers, KernelIsa isa)
    {
        var (outputs, rows) = GemvChunks.Prepare(x, layers.Select(l => (l.Weight.OutFeatures, l.Weight.InFeatures)).ToArray(), isa);
        if (rows == 0) return outputs;
        int k = (int)x.shape[^1];
        using var xc = x.contiguous();
        var xs = MemoryMarshal.Cast<byte, float>(xc.bytes).ToArray();
        var biases = layers.Select((l, p) => GemvChunks.Bias(l.Bias, l.Weight.OutFeatures, p)).ToArray();
        var packed = layers.Select(l => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(l.Weight.Packed.bytes))).ToArray();
        var scales = layers.Select(l => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(l.Weight.Scales.bytes))).ToArray();
        var ys = outputs.Select(o => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(o.bytes))).ToArray();
        GemvChunks.For(layers.Select(l => l.Weight.OutFeatures).ToArray(), (p, first, last) =>
        {
            int n = (int)layers[p].Weight.OutFeatures;
            var bias = biases[p];
            float* y = (float*)ys[p];
            fixed (float* xp = xs)
                for (int o = first; o < last; o++)
                {
                    byte* row = (byte*)packed[p] + (long)o * (k / 2);
                    float* s = (float*)scales[p] + (long)o * (k / Int4Weight.GroupSize);
                    for (int r = 0; r < rows; r++)
                        y[(long)r * n + o] = (bias is null ? 0f : bias[o])
                            + (isa == KernelIsa.Avx512 ? Dot512(row, s, xp + (long)r * k, k) : Dot256(row, s, xp + (long)r * k, k));
                }
        });
        return outputs;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot256(byte* q, float* scales, float* x, int k)
    {
        var total = Vector256<float>.Zero;
        for (int g = 0; g < k / 32; g++)
        {
            byte* p = q + g * 16;
            float* xg = x + g * 32;
            var a0 = Avx.Multiply(Int4Unpack.Eight(p), Avx.LoadVector256(xg));
            var a1 = Avx.Multiply(Int4Unpack.Eight(p + 4), Avx.LoadVector256(xg + 8));
            a0 = Fma.MultiplyAdd(Int4Unpack.Eight(p + 8), Avx.LoadVector256(xg + 16), a0);
            a1 = Fma.MultiplyAdd(Int4Unpack.Eight(p + 12), Avx.LoadVector256(xg + 24), a1);
            total = Fma.MultiplyAdd(a0 + a1, Vector256.Create(scales[g]), total);
        }
        return Vector256.Sum(total);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot512(byte* q, float* scales, float* x, int k)
    {
        var total = Vector512<float>.Zero;
        for (int g = 0; g < k / 32; g++)
        {
            byte* p = q + g * 16;
            float* xg = x + g * 32;
            var a = Avx512F.Multiply(Int4Unpack.Sixteen(p), Avx512F.LoadVector512(xg));
            a = Avx512F.FusedMultiplyAdd(Int4Unpack.Sixteen(p + 8), Avx512F.LoadVector512(xg + 16), a);
            total = Avx512F.FusedMultiplyAdd(a, Vector512.Create(scales[g]), total);
        }
        return Vector512.Sum(total);
    }
}
