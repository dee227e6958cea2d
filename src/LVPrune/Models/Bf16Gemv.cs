using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// y = x W^T + b for a few rows of x against a bf16 weight on the CPU: the matrix-vector product
/// of every decode step. Decoding reads each weight once per token, so its speed is the speed at
/// which the weights stream from memory; LibTorch's bf16 GEMV reaches about half the machine's read
/// bandwidth here (≈19 of 24-37 GB/s, see docs/bench-7b.md). This kernel streams the weight rows
/// once, widens bf16 to fp32 in registers (a 16-bit shift; AVX-512 where the CPU has it, else AVX2),
/// accumulates in fp32 with FMA and
/// rounds the result to bf16 (round to nearest even), the way LibTorch rounds its own output.
/// Rows of W are split across the cores; every thread writes a disjoint slice of y.
/// </summary>
public static class Bf16Gemv
{
    /// <summary>Most rows of x handled here; larger inputs (prefill) go to LibTorch's GEMM.</summary>
    public const int MaxRows = 4;

    /// <summary>Output features per work item handed to a thread.</summary>
    private const int RowsPerChunk = 256;

    /// <summary>Whether the kernel can run on this machine at all (AVX2 with FMA).</summary>
    public static bool Supported { get; } = Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Whether the AVX-512 loop is used (when the CPU has it); tests turn it off to check the AVX2 loop.</summary>
    public static bool UseAvx512 { get; set; } = Avx512F.IsSupported;

    /// <summary>Switch for benchmarks and tests: false sends every product to LibTorch.</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether <paramref name="x"/> [..., in] times <paramref name="weight"/> [out, in] belongs here:
    /// bf16 CPU tensors, at most <see cref="MaxRows"/> rows, and no autograd graph to record.
    /// </summary>
    public static bool Applies(Tensor x, Tensor weight, Tensor? bias)
    {
        if (!Enabled || !Supported) return false;
        if (x.dtype != ScalarType.BFloat16 || weight.dtype != ScalarType.BFloat16 || bias is { dtype: not ScalarType.BFloat16 }) return false;
        if (x.device_type != TorchSharp.DeviceType.CPU || weight.device_type != TorchSharp.DeviceType.CPU) return false;
        if (weight.dim() != 2 || !weight.is_contiguous() || x.shape[^1] != weight.shape[1]) return false;
        if (x.numel() > MaxRows * weight.shape[1]) return false;
        if (is_grad_enabled() && (x.requires_grad || weight.requires_grad || bias is { requires_grad: true })) return false;
        return true;
    }

    /// <summary>x [..., in] (bf16) times weight [out, in] (bf16), plus bias [out]: [..., out] in bf16.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        long inFeatures = weight.shape[1], outFeatures = weight.shape[0];
        int rows = (int)(x.numel() / inFeatures);
        var outShape = x.shape[..^1].Append(outFeatures).ToArray();
        var y = empty(outShape, ScalarType.BFloat16);
        if (rows == 0) return y;
        using var xc = x.contiguous();
        using var bc = bias?.contiguous();
        // x widened to fp32 once per call: [rows, in], small enough for the cache of each core.
        var xs = new float[rows * inFeatures];
        WidenBf16(xc.bytes, xs);
        float[]? bs = null;
        if (bc is not null) { bs = new float[outFeatures]; WidenBf16(bc.bytes, bs); }

        unsafe
        {
            byte* w = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(weight.bytes));
            byte* yp = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(y.bytes));
            var work = new Work((ushort*)w, (ushort*)yp, xs, bs, (int)inFeatures, (int)outFeatures, rows);
            int chunks = (int)((outFeatures + RowsPerChunk - 1) / RowsPerChunk);
            if (chunks == 1) work.Run(0);
            else Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, work.Run);
        }
        return y;
    }

    private static void WidenBf16(ReadOnlySpan<byte> source, float[] target)
    {
        var halves = MemoryMarshal.Cast<byte, ushort>(source);
        for (int i = 0; i < target.Length; i++) target[i] = BitConverter.Int32BitsToSingle(halves[i] << 16);
    }

    /// <summary>fp32 to bf16 bits, round to nearest even (NaN kept a NaN).</summary>
    public static ushort RoundToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }

    private sealed unsafe class Work(ushort* w, ushort* y, float[] x, float[]? bias, int inFeatures, int outFeatures, int rows)
    {
        private readonly ushort* _w = w, _y = y;

        public void Run(int chunk)
        {
            int first = chunk * RowsPerChunk, last = Math.Min(outFeatures, first + RowsPerChunk);
            Span<float> sums = stackalloc float[MaxRows];
            fixed (float* xp = x)
            {
                for (int o = first; o < last; o++)
                {
                    Dot(_w + (long)o * inFeatures, xp, inFeatures, rows, sums);
                    float b = bias is null ? 0f : bias[o];
                    for (int r = 0; r < rows; r++) _y[(long)r * outFeatures + o] = RoundToBf16(sums[r] + b);
                }
            }
        }

        /// <summary>sums[r] = Σ_i w[i] · x[r, i] for one weight row, fp32 accumulation.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Dot(ushort* w, float* x, int n, int rows, Span<float> sums)
        {
            for (int r = 0; r < rows; r++)
                sums[r] = UseAvx512 && Avx512F.IsSupported ? Dot512(w, x + (long)r * n, n) : Dot256(w, x + (long)r * n, n);
        }

        /// <summary>32 weights per iteration in two AVX-512 accumulators.</summary>
        private static float Dot512(ushort* w, float* x, int n)
        {
            int vectorEnd = n & ~31;
            var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
            for (int i = 0; i < vectorEnd; i += 32)
            {
                a0 = Avx512F.FusedMultiplyAdd(Widen16(w + i), Avx512F.LoadVector512(x + i), a0);
                a1 = Avx512F.FusedMultiplyAdd(Widen16(w + i + 16), Avx512F.LoadVector512(x + i + 16), a1);
            }
            float s = Vector512.Sum(a0 + a1);
            for (int i = vectorEnd; i < n; i++) s += BitConverter.Int32BitsToSingle(w[i] << 16) * x[i];
            return s;
        }

        /// <summary>16 weights per iteration in two AVX2 accumulators.</summary>
        private static float Dot256(ushort* w, float* x, int n)
        {
            int vectorEnd = n & ~15;
            var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
            for (int i = 0; i < vectorEnd; i += 16)
            {
                a0 = Fma.MultiplyAdd(Widen8(w + i), Avx.LoadVector256(x + i), a0);
                a1 = Fma.MultiplyAdd(Widen8(w + i + 8), Avx.LoadVector256(x + i + 8), a1);
            }
            float s = Vector256.Sum(a0 + a1);
            for (int i = vectorEnd; i < n; i++) s += BitConverter.Int32BitsToSingle(w[i] << 16) * x[i];
            return s;
        }

        /// <summary>16 bf16 values to 16 floats: zero-extend to 32 bits, shift into the high half.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Widen16(ushort* p) =>
            Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Avx.LoadVector256(p)), 16).AsSingle();

        /// <summary>8 bf16 values to 8 floats: zero-extend to 32 bits, shift into the high half.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Widen8(ushort* p) =>
            Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(p)), 16).AsSingle();
    }
}
