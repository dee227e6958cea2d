using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace LVPrune.Kernels;

/// <summary>
/// Decode products of the fp32 compute path: y = x W^T + b with x in fp32 (one to four rows),
/// W in bf16 as stored, y in fp32 (no bf16 rounding of the output: the activations stay fp32 on
/// this path). Memory-bound: each weight row streams once, bf16 pairs are widened in registers
/// (the even element of a 32-bit word is the word shifted left by 16, the odd one the word with its
/// low half cleared), against x split once per call into its even and odd elements; fp32 FMA
/// accumulation, four accumulators. AVX2 or AVX-512 as the caller chooses.
/// </summary>
public static unsafe class Bf16Fp32Gemv
{
    public const int MaxRows = GemvChunks.MaxRows;

    /// <summary>x [..., K] (fp32, at most <see cref="MaxRows"/> rows) times weight [N, K] (bf16), plus bias [N]: [..., N] in fp32.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, KernelIsa isa) => Linears(x, [(weight, bias)], isa)[0];

    /// <summary>Several products of the same x in one pass over the cores (q, k and v; gate and up).</summary>
    public static Tensor[] Linears(Tensor x, IReadOnlyList<(Tensor Weight, Tensor? Bias)> layers, KernelIsa isa)
    {
        foreach (var (w, _) in layers)
            if (w.dtype != ScalarType.BFloat16 || w.dim() != 2 || !w.is_contiguous() || w.device_type != TorchSharp.DeviceType.CPU)
                throw new ArgumentException($"weights must be contiguous bf16 [out, in] CPU tensors, got {w.dtype} [{string.Join(", ", w.shape)}]");
        var weights = layers.Select(l => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(l.Weight.bytes))).ToArray();
        return GemvChunks.Run(x, layers.Select(l => (l.Weight.shape[0], l.Weight.shape[1], l.Bias)).ToArray(), isa, (xs, rows, k) =>
        {
            var (xEven, xOdd) = SplitEvenOdd(xs, rows, k);
            int half = k / 2;
            return (p, o, r, xRow) =>
            {
                ushort* row = (ushort*)weights[p] + (long)o * k;
                fixed (float* xe = &xEven[r * half], xo = &xOdd[r * half])
                    return isa == KernelIsa.Avx512 ? Dot512(row, xe, xo, xRow, k) : Dot256(row, xe, xo, xRow, k);
            };
        });
    }

    /// <summary>x [rows, K]'s even and odd elements per row (K/2 each): the order in which bf16 pairs are widened.</summary>
    private static (float[] Even, float[] Odd) SplitEvenOdd(float[] x, int rows, int k)
    {
        int half = k / 2;
        var even = new float[Math.Max(1, rows * half)];
        var odd = new float[Math.Max(1, rows * half)];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < half; i++)
            {
                even[r * half + i] = x[r * k + 2 * i];
                odd[r * half + i] = x[r * k + 2 * i + 1];
            }
        return (even, odd);
    }

    /// <summary>Σ_i w[i] x[i] for one bf16 row, 64 weights per iteration.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot512(ushort* w, float* xe, float* xo, float* x, int n)
    {
        var high = Vector512.Create(0xFFFF0000u);
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            var v0 = Avx512F.LoadVector512((uint*)(w + i));
            var v1 = Avx512F.LoadVector512((uint*)(w + i + 32));
            a0 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v0, 16).AsSingle(), Avx512F.LoadVector512(xe + i / 2), a0);
            a1 = Avx512F.FusedMultiplyAdd(Avx512F.And(v0, high).AsSingle(), Avx512F.LoadVector512(xo + i / 2), a1);
            a2 = Avx512F.FusedMultiplyAdd(Avx512F.ShiftLeftLogical(v1, 16).AsSingle(), Avx512F.LoadVector512(xe + i / 2 + 16), a2);
            a3 = Avx512F.FusedMultiplyAdd(Avx512F.And(v1, high).AsSingle(), Avx512F.LoadVector512(xo + i / 2 + 16), a3);
        }
        float s = Vector512.Sum((a0 + a1) + (a2 + a3));
        return Tail(w, x, i, n, s);
    }

    /// <summary>Σ_i w[i] x[i] for one bf16 row, 32 weights per iteration.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot256(ushort* w, float* xe, float* xo, float* x, int n)
    {
        var high = Vector256.Create(0xFFFF0000u);
        var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var v0 = Avx.LoadVector256((uint*)(w + i));
            var v1 = Avx.LoadVector256((uint*)(w + i + 16));
            a0 = Fma.MultiplyAdd(Avx2.ShiftLeftLogical(v0, 16).AsSingle(), Avx.LoadVector256(xe + i / 2), a0);
            a1 = Fma.MultiplyAdd(Avx2.And(v0, high).AsSingle(), Avx.LoadVector256(xo + i / 2), a1);
            a2 = Fma.MultiplyAdd(Avx2.ShiftLeftLogical(v1, 16).AsSingle(), Avx.LoadVector256(xe + i / 2 + 8), a2);
            a3 = Fma.MultiplyAdd(Avx2.And(v1, high).AsSingle(), Avx.LoadVector256(xo + i / 2 + 8), a3);
        }
        float s = Vector256.Sum((a0 + a1) + (a2 + a3));
        return Tail(w, x, i, n, s);
    }

    /// <summary>The elements past the last full vector, added one by one onto the vector sum <paramref name="s"/>.</summary>
    private static float Tail(ushort* w, float* x, int from, int n, float s)
    {
        for (int i = from; i < n; i++) s += BitConverter.Int32BitsToSingle(w[i] << 16) * x[i];
        return s;
    }
}
