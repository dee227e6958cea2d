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
        var packed = layers.Select(l => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(l.Weight.Packed.bytes))).ToArray();
        var scales = layers.Select(l => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(l.Weight.Scales.bytes))).ToArray();
        return GemvChunks.Run(x, layers.Select(l => (l.Weight.OutFeatures, l.Weight.InFeatures, l.Bias)).ToArray(), isa, (_, _, k) => (p, o, _, xRow) =>
        {
            byte* row = (byte*)packed[p] + (long)o * (k / 2);
            float* s = (float*)scales[p] + (long)o * (k / Int4Weight.GroupSize);
            return isa == KernelIsa.Avx512 ? Dot512(row, s, xRow, k) : Dot256(row, s, xRow, k);
        });
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
