using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LVPrune.Quantization;
using static TorchSharp.torch;

namespace LVPrune.Kernels;

/// <summary>Cache blocking of <see cref="WeightGemm"/> (BLIS's kc, mc, nc).</summary>
/// <param name="Kc">Inputs per packed block: a B panel (kc x NR fp32) stays in L1 while A panels stream past it. Multiple of 64.</param>
/// <param name="Mc">Activation rows per block, kept in L2 while one weight block is swept. Multiple of 12 (both tiles' heights).</param>
/// <param name="Nc">Output features per work item: the weight block (kc x nc fp32) a thread packs and sweeps. Multiple of 32.</param>
public sealed record GemmBlocking(int Kc = 256, int Mc = 96, int Nc = 128)
{
    public static GemmBlocking Default { get; } = new();

    public void Validate()
    {
        if (Kc <= 0 || Kc % 64 != 0) throw new ArgumentException($"kc {Kc}: must be a positive multiple of 64");
        if (Mc <= 0 || Mc % 12 != 0) throw new ArgumentException($"mc {Mc}: must be a positive multiple of 12");
        if (Nc <= 0 || Nc % 32 != 0) throw new ArgumentException($"nc {Nc}: must be a positive multiple of 32");
    }
}

/// <summary>
/// Y [M, N] (fp32) = X [M, K] (fp32) · W [N, K]^T + b for a weight stored as bf16, int8 in groups
/// (<see cref="QuantizedWeight"/>), int4 in groups (<see cref="Int4Weight"/>) or fp32: the prefill product of the fp32 compute path, for CPUs
/// whose LibTorch has no fast bf16 GEMM (no AVX512_BF16). The weight is never copied whole: each
/// thread widens one block of it (kc x nc, 128 KB) into fp32 panels just before use, so the scratch
/// is bounded (plus the packed activations, M x K fp32) whatever the model size.
/// <para>Layout as in BLIS (Goto's algorithm): X is packed once into panels of MR rows ([kc][MR]
/// per block of inputs); work items are column blocks of nc output features, split over the cores
/// by <see cref="GemvWorkers"/>. An item packs its weight block one kc slice at a time (widening,
/// dequantizing and transposing to [kc][NR] panels) and sweeps all of X past it with the micro-kernel
/// of <see cref="GemmMicroKernels"/> for the chosen <see cref="KernelIsa"/>. Edges (M, N, K not
/// multiples of the tile) are zero-padded in the panels and written through a small tile buffer.</para>
/// Summation order: fp32 FMA over k in order within each kc slice, slices added in order; the
/// result differs from an exact product by fp32 rounding only (tests bound it against float64).
/// </summary>
public static unsafe class WeightGemm
{
    /// <summary>x [..., K] (fp32) times weight [N, K] (bf16 or fp32), plus bias [N] (any float type): [..., N] in fp32.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, KernelIsa isa, GemmBlocking? blocking = null)
    {
        if (weight.dim() != 2) throw new ArgumentException($"weight must be [out, in], got [{string.Join(", ", weight.shape)}]");
        if (weight.dtype is not (ScalarType.BFloat16 or ScalarType.Float32)) throw new ArgumentException($"weight dtype {weight.dtype}: the kernel reads bf16 or fp32");
        if (weight.device_type != TorchSharp.DeviceType.CPU) throw new ArgumentException("weight must be on the CPU");
        using var w = weight.contiguous();
        int n = (int)w.shape[0], k = (int)w.shape[1];
        void* wp = Unsafe.AsPointer(ref MemoryMarshal.GetReference(w.bytes));
        return weight.dtype == ScalarType.BFloat16
            ? Run(x, new Bf16Rows((ushort*)wp, n, k), bias, isa, blocking)
            : Run(x, new Fp32Rows((float*)wp, n, k), bias, isa, blocking);
    }

    /// <summary>x [..., K] (fp32) times an int8 weight [N, K] dequantized block by block, plus bias [N]: [..., N] in fp32.</summary>
    public static Tensor Linear(Tensor x, QuantizedWeight weight, Tensor? bias, KernelIsa isa, GemmBlocking? blocking = null)
    {
        int n = (int)weight.OutFeatures, k = (int)weight.InFeatures;
        var q = (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(weight.Values.bytes));
        var s = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(weight.Scales.bytes));
        return Run(x, new Int8Rows(q, s, n, k, weight.GroupSize), bias, isa, blocking);
    }

    /// <summary>x [..., K] (fp32) times a 4-bit weight [N, K] dequantized block by block, plus bias [N]: [..., N] in fp32.</summary>
    public static Tensor Linear(Tensor x, Int4Weight weight, Tensor? bias, KernelIsa isa, GemmBlocking? blocking = null)
    {
        var q = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(weight.Packed.bytes));
        var s = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(weight.Scales.bytes));
        return Run(x, new Int4Rows(q, s, (int)weight.OutFeatures, (int)weight.InFeatures), bias, isa, blocking);
    }

    private static Tensor Run<TWeight>(Tensor x, TWeight w, Tensor? bias, KernelIsa isa, GemmBlocking? blocking) where TWeight : struct, IWeightRows
    {
        if (!CpuFeatures.Current.Supports(isa)) throw new PlatformNotSupportedException($"this CPU cannot run the {isa} kernel ({CpuFeatures.Current})");
        if (x.dtype != ScalarType.Float32) throw new ArgumentException($"x dtype {x.dtype}: the kernel takes fp32 activations");
        if (x.device_type != TorchSharp.DeviceType.CPU) throw new ArgumentException("x must be on the CPU");
        if (x.dim() < 1 || x.shape[^1] != w.Columns) throw new ArgumentException($"x [{string.Join(", ", x.shape)}] does not end in the weight's {w.Columns} inputs");
        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != w.Rows)) throw new ArgumentException($"bias must be [{w.Rows}], got [{string.Join(", ", bias.shape)}]");
        var b = blocking ?? GemmBlocking.Default;
        b.Validate();
        long rows = x.numel() / w.Columns;
        if (rows > int.MaxValue) throw new ArgumentException($"{rows} rows: too many");
        var y = empty(x.shape[..^1].Append(w.Rows).ToArray(), ScalarType.Float32);
        if (rows == 0 || w.Rows == 0) return y;
        using var xc = x.contiguous();
        using var bc = bias?.to(ScalarType.Float32).contiguous();
        var xp = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(xc.bytes));
        var yp = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(y.bytes));
        var bp = bc is null ? null : (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bc.bytes));
        Multiply(xp, (int)rows, w, bp, yp, isa, b);
        return y;
    }

    /// <summary>y [m, w.Rows] = x [m, w.Columns] · W^T + bias, all row-major and contiguous; bias may be null.</summary>
    internal static void Multiply<TWeight>(float* x, int m, TWeight w, float* bias, float* y, KernelIsa isa, GemmBlocking blocking)
        where TWeight : struct, IWeightRows
    {
        int k = w.Columns;
        if (k == 0)
        {
            for (long i = 0; i < (long)m * w.Rows; i++) y[i] = bias is null ? 0f : bias[i % w.Rows];
            return;
        }
        int mr = GemmMicroKernels.Rows(isa);
        int mPadded = (m + mr - 1) / mr * mr;
        var packedX = Scratch.Activations((long)mPadded * k);
        var job = new Job<TWeight>(x, m, mPadded, w, bias, y, isa, blocking, packedX);
        int panels = mPadded / mr;
        int panelsPerItem = Math.Max(1, panels / (4 * (GemvWorkers.Helpers + 1)));
        GemvWorkers.For((panels + panelsPerItem - 1) / panelsPerItem, i => job.PackActivations(i * panelsPerItem, Math.Min(panels, (i + 1) * panelsPerItem)));
        GemvWorkers.For((w.Rows + blocking.Nc - 1) / blocking.Nc, job.RunColumnBlock);
    }

    private sealed class Job<TWeight>(float* x, int m, int mPadded, TWeight w, float* bias, float* y, KernelIsa isa, GemmBlocking blocking, float* packedX)
        where TWeight : struct, IWeightRows
    {
        private readonly int _mr = GemmMicroKernels.Rows(isa), _nr = GemmMicroKernels.Columns(isa);

        /// <summary>Rows of X in panels [first, last): for each kc slice, panel p holds [kc][MR] at packedX + k0 * mPadded + p * MR * kcLen.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void PackActivations(int firstPanel, int lastPanel)
        {
            int k = w.Columns, mr = _mr;
            for (int k0 = 0; k0 < k; k0 += blocking.Kc)
            {
                int kc = Math.Min(blocking.Kc, k - k0);
                for (int p = firstPanel; p < lastPanel; p++)
                {
                    float* dst = packedX + (long)k0 * mPadded + (long)p * mr * kc;
                    for (int r = 0; r < mr; r++)
                    {
                        int row = p * mr + r;
                        if (row < m)
                        {
                            float* src = x + (long)row * k + k0;
                            for (int kk = 0; kk < kc; kk++) dst[kk * mr + r] = src[kk];
                        }
                        else
                            for (int kk = 0; kk < kc; kk++) dst[kk * mr + r] = 0f;
                    }
                }
            }
        }

        /// <summary>Output features [item * nc, item * nc + nc): pack each kc slice of their weights, then sweep X past it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunColumnBlock(int item)
        {
            int n = w.Rows, k = w.Columns, mr = _mr, nr = _nr;
            int n0 = item * blocking.Nc, nc = Math.Min(blocking.Nc, n - n0);
            int ncPadded = (nc + nr - 1) / nr * nr;
            float* packedW = Scratch.WeightBlock((long)blocking.Kc * blocking.Nc);
            float* tile = stackalloc float[GemmMicroKernels.Avx512Rows * GemmMicroKernels.Avx512Columns + 16];
            tile = (float*)(((nint)tile + 63) & ~(nint)63);
            for (int k0 = 0; k0 < k; k0 += blocking.Kc)
            {
                int kc = Math.Min(blocking.Kc, k - k0);
                bool first = k0 == 0;
                for (int j = 0; j < ncPadded; j += nr) WeightPanels.Pack(w, n0 + j, nr, k0, kc, packedW + (long)j * kc);
                float* xSlice = packedX + (long)k0 * mPadded;
                for (int i0 = 0; i0 < m; i0 += blocking.Mc)
                {
                    int i1 = Math.Min(m, i0 + blocking.Mc);
                    for (int j = 0; j < ncPadded; j += nr)
                    {
                        float* panel = packedW + (long)j * kc;
                        int columns = Math.Min(nr, nc - j);
                        float* biasAt = bias is null ? null : bias + n0 + j;
                        for (int i = i0; i < i1; i += mr)
                        {
                            float* a = xSlice + (long)i * kc;
                            float* c = y + (long)i * n + n0 + j;
                            int rows = Math.Min(mr, m - i);
                            if (rows == mr && columns == nr) Kernel(a, panel, kc, c, n, first, biasAt);
                            else
                            {
                                // Edge tile: compute the whole tile into the buffer, then add the part that exists.
                                Kernel(a, panel, kc, tile, nr, true, null);
                                for (int r = 0; r < rows; r++)
                                    for (int col = 0; col < columns; col++)
                                    {
                                        float start = first ? (biasAt is null ? 0f : biasAt[col]) : c[(long)r * n + col];
                                        c[(long)r * n + col] = start + tile[r * nr + col];
                                    }
                            }
                        }
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Kernel(float* a, float* b, int kc, float* c, long ldc, bool first, float* bias)
        {
            if (isa == KernelIsa.Avx512) GemmMicroKernels.Avx512(a, b, kc, c, ldc, first, bias);
            else GemmMicroKernels.Avx2(a, b, kc, c, ldc, first, bias);
        }
    }

    /// <summary>
    /// Per-thread scratch, 64-byte aligned, grown on demand and kept for the next call (a decode or
    /// prefill runs hundreds of products of the same few sizes): the weight block of each worker
    /// (kc x nc fp32, 128 KB by default) and the caller's packed activations (M x K fp32).
    /// </summary>
    private static class Scratch
    {
        [ThreadStatic] private static Buffer? _weights;
        [ThreadStatic] private static Buffer? _activations;

        public static float* WeightBlock(long floats) => (_weights ??= new Buffer()).Get(floats);
        public static float* Activations(long floats) => (_activations ??= new Buffer()).Get(floats);

        private sealed class Buffer
        {
            private float* _data;
            private long _length;

            public float* Get(long floats)
            {
                if (floats <= _length) return _data;
                if (_data is not null) NativeMemory.AlignedFree(_data);
                _data = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
                _length = floats;
                return _data;
            }

            ~Buffer()
            {
                if (_data is not null) NativeMemory.AlignedFree(_data);
            }
        }
    }
}
