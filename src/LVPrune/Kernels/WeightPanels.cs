using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LVPrune.Kernels;

/// <summary>
/// A weight W [N, K] (row n = output feature n, K contiguous) as the GEMM reads it: eight
/// consecutive inputs of one row widened to fp32, or one element. Implemented by structs so that
/// <see cref="WeightPanels.Pack{TWeight}"/> is compiled once per storage type with the load inlined.
/// </summary>
internal unsafe interface IWeightRows
{
    int Rows { get; }
    int Columns { get; }

    /// <summary>W[n, k .. k+8] as fp32; k is a multiple of 8 and k + 8 &lt;= Columns.</summary>
    Vector256<float> Load8(int n, int k);

    /// <summary>W[n, k] as fp32.</summary>
    float At(int n, int k);
}

/// <summary>fp32 weights: read as they are.</summary>
internal readonly unsafe struct Fp32Rows(float* w, int rows, int columns) : IWeightRows
{
    public int Rows => rows;
    public int Columns => columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Load8(int n, int k) => Avx.LoadVector256(w + (long)n * columns + k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(int n, int k) => w[(long)n * columns + k];
}

/// <summary>bf16 weights: widened exactly (bf16 is the top half of an fp32) by zero-extension and a 16-bit shift.</summary>
internal readonly unsafe struct Bf16Rows(ushort* w, int rows, int columns) : IWeightRows
{
    public int Rows => rows;
    public int Columns => columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Load8(int n, int k) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(w + (long)n * columns + k), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(int n, int k) => BitConverter.Int32BitsToSingle(w[(long)n * columns + k] << 16);
}

/// <summary>
/// int8 weights in symmetric groups along K: W[n, k] = q[n, k] · scale[n, k / group]. A run of
/// eight never straddles two groups (the group size is a multiple of 8 and k is aligned).
/// </summary>
internal readonly unsafe struct Int8Rows(sbyte* q, float* scales, int rows, int columns, int group) : IWeightRows
{
    private readonly int _groups = columns / group;

    public int Rows => rows;
    public int Columns => columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Load8(int n, int k) =>
        Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + (long)n * columns + k))
        * Vector256.Create(scales[(long)n * _groups + k / group]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(int n, int k) => q[(long)n * columns + k] * scales[(long)n * _groups + k / group];
}

/// <summary>4-bit weights in groups of 32 (<see cref="Quantization.Int4Weight"/>): W[n, k] = (nibble - 8) · scale[n, k / 32].</summary>
internal readonly unsafe struct Int4Rows(byte* packed, float* scales, int rows, int columns) : IWeightRows
{
    public int Rows => rows;
    public int Columns => columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Load8(int n, int k) =>
        Int4Unpack.Eight(packed + (long)n * (columns / 2) + k / 2) * Vector256.Create(scales[(long)n * (columns / 32) + k / 32]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(int n, int k) => Int4Unpack.One(packed + (long)n * (columns / 2), k) * scales[(long)n * (columns / 32) + k / 32];
}

/// <summary>
/// Copies a block of the weight into the GEMM's panel layout, widened to fp32: for output features
/// n0 .. n0+nr and inputs k0 .. k0+kc, dst[k * nr + j] = W[n0 + j, k0 + k] (zero beyond the last
/// row). This is a transpose: eight rows are loaded eight inputs at a time and turned in registers
/// (unpack, shuffle, lane permute: 24 shuffles per 64 values) so that packing stays a small share
/// of the work even for the ~60-row products of pruned layers.
/// </summary>
internal static unsafe class WeightPanels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<TWeight>(in TWeight w, int n0, int nr, int k0, int kc, float* dst) where TWeight : struct, IWeightRows
    {
        for (int g = 0; g < nr; g += 8)
        {
            int valid = Math.Clamp(w.Rows - (n0 + g), 0, 8);
            int kk = 0;
            if (valid == 8)
            {
                int n = n0 + g;
                for (; kk + 8 <= kc; kk += 8)
                {
                    int k = k0 + kk;
                    Transpose8x8(w.Load8(n, k), w.Load8(n + 1, k), w.Load8(n + 2, k), w.Load8(n + 3, k),
                                 w.Load8(n + 4, k), w.Load8(n + 5, k), w.Load8(n + 6, k), w.Load8(n + 7, k),
                                 dst + (long)kk * nr + g, nr);
                }
            }
            for (; kk < kc; kk++)
                for (int j = 0; j < 8; j++)
                    dst[(long)kk * nr + g + j] = j < valid ? w.At(n0 + g + j, k0 + kk) : 0f;
        }
    }

    /// <summary>Writes column j of the 8x8 block whose rows are r0..r7 to dst + j * stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
                                     Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
                                     float* dst, int stride)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + stride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * stride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * stride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * stride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * stride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * stride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * stride, Avx.Permute2x128(s3, s7, 0x31));
    }
}
