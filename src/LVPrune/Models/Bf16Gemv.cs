using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LVPrune.Kernels;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// y = x W^T + b for a few rows of x against a bf16 weight on the CPU: the matrix-vector product
/// of every decode step. Decoding reads each weight once per token, so its speed is the speed at
/// which the weights stream from memory; LibTorch's bf16 GEMV reaches about half the machine's read
/// bandwidth here (≈19 of 24-37 GB/s, see README's 7B table). This kernel streams the weight rows
/// once, widens bf16 pairs to fp32 in registers (a shift and a mask; AVX-512 where the CPU has it, else AVX2),
/// accumulates in fp32 with FMA and
/// rounds the result to bf16 (round to nearest even), the way LibTorch rounds its own output.
/// Rows of W are split across the cores (<see cref="GemvWorkers"/>); every thread writes a disjoint slice of y.
/// </summary>
public static class Bf16Gemv
{
    /// <summary>Most rows of x handled here; larger inputs (prefill) go to LibTorch's GEMM.</summary>
    public const int MaxRows = 4;

    /// <summary>Output features per work item handed to a thread.</summary>
    private const int RowsPerChunk = 256;

    /// <summary>Whether the kernel can run on this machine at all (AVX2 with FMA).</summary>
    public static bool Supported { get; } = Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Whether <paramref name="x"/> [..., in] times <paramref name="weight"/> [out, in] belongs here:
    /// bf16 CPU tensors, at most <see cref="MaxRows"/> rows, and no autograd graph to record.
    /// </summary>
    public static bool Applies(Tensor x, Tensor weight, Tensor? bias)
    {
        if (!Supported) return false;
        if (x.dtype != ScalarType.BFloat16 || weight.dtype != ScalarType.BFloat16 || bias is { dtype: not ScalarType.BFloat16 }) return false;
        if (x.device_type != TorchSharp.DeviceType.CPU || weight.device_type != TorchSharp.DeviceType.CPU) return false;
        if (weight.dim() != 2 || !weight.is_contiguous() || x.shape[^1] != weight.shape[1]) return false;
        if (x.numel() > MaxRows * weight.shape[1]) return false;
        if (is_grad_enabled() && (x.requires_grad || weight.requires_grad || bias is { requires_grad: true })) return false;
        return true;
    }

    /// <summary>x [..., in] (bf16) times weight [out, in] (bf16), plus bias [out]: [..., out] in bf16.</summary>
    /// <param name="avx512">use the AVX-512 loop where the CPU has it (false: the AVX2 loop)</param>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, bool avx512 = true) => Linears(x, [(weight, bias)], avx512)[0];

    /// <summary>
    /// Several products of the same x in one pass over the cores (q, k and v; gate and up): one
    /// fork-join instead of one per product, and x prepared once. Every weight must satisfy
    /// <see cref="Applies"/> with x.
    /// </summary>
    public static Tensor[] Linears(Tensor x, IReadOnlyList<(Tensor Weight, Tensor? Bias)> layers, bool avx512 = true)
    {
        long inFeatures = x.shape[^1];
        int rows = (int)(x.numel() / inFeatures);
        var outputs = new Tensor[layers.Count];
        for (int m = 0; m < layers.Count; m++)
        {
            if (layers[m].Weight.shape[1] != inFeatures)
                throw new ArgumentException($"weight {m} has {layers[m].Weight.shape[1]} input features, x has {inFeatures}");
            outputs[m] = empty(x.shape[..^1].Append(layers[m].Weight.shape[0]).ToArray(), ScalarType.BFloat16);
        }
        if (rows == 0) return outputs;
        using var xc = x.contiguous();
        // x widened to fp32 once per call: [rows, in], small enough for the cache of each core; and
        // split into its even and odd elements, the order in which the kernel widens weight pairs.
        var xs = new float[rows * inFeatures];
        WidenBf16(xc.bytes, xs);
        int half = (int)inFeatures / 2;
        var xe = new float[rows * half];
        var xo = new float[rows * half];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < half; k++)
            {
                xe[r * half + k] = xs[r * inFeatures + 2 * k];
                xo[r * half + k] = xs[r * inFeatures + 2 * k + 1];
            }

        unsafe
        {
            var products = new Product[layers.Count];
            var chunks = new List<(int Product, int First)>();
            for (int m = 0; m < layers.Count; m++)
            {
                var (weight, bias) = layers[m];
                float[]? bs = null;
                if (bias is not null) { using var bc = bias.contiguous(); bs = new float[weight.shape[0]]; WidenBf16(bc.bytes, bs); }
                products[m] = new Product(
                    (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(weight.bytes)),
                    (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(outputs[m].bytes)),
                    bs, (int)weight.shape[0]);
                for (int first = 0; first < weight.shape[0]; first += RowsPerChunk) chunks.Add((m, first));
            }
            var work = new Work(products, chunks.ToArray(), xs, xe, xo, (int)inFeatures, rows, avx512 && Avx512F.IsSupported);
            GemvWorkers.For(chunks.Count, work.Run);
        }
        return outputs;
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

    /// <summary>One weight of a call: rows [out, in] in bf16, the output it writes, its bias.</summary>
    private readonly unsafe struct Product(ushort* w, ushort* y, float[]? bias, int outFeatures)
    {
        public readonly ushort* W = w, Y = y;
        public readonly float[]? Bias = bias;
        public readonly int OutFeatures = outFeatures;
    }

    private sealed unsafe class Work(Product[] products, (int Product, int First)[] chunks, float[] x, float[] xEven, float[] xOdd, int inFeatures, int rows, bool avx512)
    {
        // AggressiveOptimization: fully optimised from the first call. Tiered compilation would
        // otherwise start these loops unoptimised (intrinsic helpers not inlined), several times slower.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk)
        {
            var (m, first) = chunks[chunk];
            var p = products[m];
            int last = Math.Min(p.OutFeatures, first + RowsPerChunk);
            Span<float> sums = stackalloc float[MaxRows];
            fixed (float* xp = x, ep = xEven, op = xOdd)
            {
                for (int o = first; o < last; o++)
                {
                    Dot(p.W + (long)o * inFeatures, xp, ep, op, inFeatures, rows, sums, avx512);
                    float b = p.Bias is null ? 0f : p.Bias[o];
                    for (int r = 0; r < rows; r++) p.Y[(long)r * p.OutFeatures + o] = RoundToBf16(sums[r] + b);
                }
            }
        }

        /// <summary>sums[r] = Σ_i w[i] · x[r, i] for one weight row, fp32 accumulation: the dot loops of <see cref="Bf16Fp32Gemv"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Dot(ushort* w, float* x, float* xe, float* xo, int n, int rows, Span<float> sums, bool avx512)
        {
            int half = n / 2;
            for (int r = 0; r < rows; r++)
                sums[r] = avx512
                    ? Bf16Fp32Gemv.Dot512(w, xe + (long)r * half, xo + (long)r * half, x + (long)r * n, n)
                    : Bf16Fp32Gemv.Dot256(w, xe + (long)r * half, xo + (long)r * half, x + (long)r * n, n);
        }
    }
}
