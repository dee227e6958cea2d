using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LVPrune.Kernels;

/// <summary>
/// The register-blocked inner loops of <see cref="WeightGemm"/>: C[MR x NR] (+)= A_panel · B_panel over
/// kc steps, where the A panel holds MR rows of the activations as [kc][MR] and the B panel NR
/// output features of the (already widened) weight as [kc][NR]. Each step broadcasts one A value
/// per row and does one FMA per NR/lanes vector: the accumulators never leave the registers.
/// <list type="bullet">
/// <item>AVX2, 6 x 16: 12 ymm accumulators + 2 B vectors + 1 broadcast = 15 of 16 registers.</item>
/// <item>AVX-512, 12 x 32: 24 zmm accumulators + 2 B vectors + 1 broadcast = 27 of 32 registers; half
/// the loads per FLOP of the AVX2 tile (what matters on Zen 4, whose FMA units are 256 bits wide).</item>
/// </list>
/// <paramref name="first"/> chooses between storing (plus bias, per column) and adding into C.
/// </summary>
internal static unsafe class GemmMicroKernels
{
    public const int Avx2Rows = 6, Avx2Columns = 16;
    public const int Avx512Rows = 12, Avx512Columns = 32;

    public static int Rows(KernelIsa isa) => isa == KernelIsa.Avx512 ? Avx512Rows : Avx2Rows;
    public static int Columns(KernelIsa isa) => isa == KernelIsa.Avx512 ? Avx512Columns : Avx2Columns;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx2(float* a, float* b, int kc, float* c, long ldc, bool first, float* bias)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            a0 = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(a0, b0, c20); c21 = Fma.MultiplyAdd(a0, b1, c21);
            a0 = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(a0, b0, c30); c31 = Fma.MultiplyAdd(a0, b1, c31);
            a0 = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(a0, b0, c40); c41 = Fma.MultiplyAdd(a0, b1, c41);
            a0 = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(a0, b0, c50); c51 = Fma.MultiplyAdd(a0, b1, c51);
            a += 6;
            b += 16;
        }
        Vector256<float> z0, z1;
        if (first)
        {
            z0 = bias is null ? default : Avx.LoadVector256(bias);
            z1 = bias is null ? default : Avx.LoadVector256(bias + 8);
        }
        else z0 = z1 = default;
        Store256(c, first, z0, z1, c00, c01);
        Store256(c + ldc, first, z0, z1, c10, c11);
        Store256(c + 2 * ldc, first, z0, z1, c20, c21);
        Store256(c + 3 * ldc, first, z0, z1, c30, c31);
        Store256(c + 4 * ldc, first, z0, z1, c40, c41);
        Store256(c + 5 * ldc, first, z0, z1, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* row, bool first, Vector256<float> bias0, Vector256<float> bias1, Vector256<float> v0, Vector256<float> v1)
    {
        if (first)
        {
            Avx.Store(row, v0 + bias0);
            Avx.Store(row + 8, v1 + bias1);
        }
        else
        {
            Avx.Store(row, Avx.LoadVector256(row) + v0);
            Avx.Store(row + 8, Avx.LoadVector256(row + 8) + v1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Avx512(float* a, float* b, int kc, float* c, long ldc, bool first, float* bias)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Avx512F.LoadAlignedVector512(b);
            var b1 = Avx512F.LoadAlignedVector512(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            a0 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a0, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a0, b1, c11);
            a0 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a0, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a0, b1, c21);
            a0 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a0, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a0, b1, c31);
            a0 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a0, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a0, b1, c41);
            a0 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a0, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a0, b1, c51);
            a0 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a0, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a0, b1, c61);
            a0 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a0, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a0, b1, c71);
            a0 = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(a0, b0, c80); c81 = Avx512F.FusedMultiplyAdd(a0, b1, c81);
            a0 = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(a0, b0, c90); c91 = Avx512F.FusedMultiplyAdd(a0, b1, c91);
            a0 = Vector512.Create(a[10]);
            cA0 = Avx512F.FusedMultiplyAdd(a0, b0, cA0); cA1 = Avx512F.FusedMultiplyAdd(a0, b1, cA1);
            a0 = Vector512.Create(a[11]);
            cB0 = Avx512F.FusedMultiplyAdd(a0, b0, cB0); cB1 = Avx512F.FusedMultiplyAdd(a0, b1, cB1);
            a += 12;
            b += 32;
        }
        Vector512<float> z0, z1;
        if (first)
        {
            z0 = bias is null ? default : Avx512F.LoadVector512(bias);
            z1 = bias is null ? default : Avx512F.LoadVector512(bias + 16);
        }
        else z0 = z1 = default;
        Store512(c, first, z0, z1, c00, c01);
        Store512(c + ldc, first, z0, z1, c10, c11);
        Store512(c + 2 * ldc, first, z0, z1, c20, c21);
        Store512(c + 3 * ldc, first, z0, z1, c30, c31);
        Store512(c + 4 * ldc, first, z0, z1, c40, c41);
        Store512(c + 5 * ldc, first, z0, z1, c50, c51);
        Store512(c + 6 * ldc, first, z0, z1, c60, c61);
        Store512(c + 7 * ldc, first, z0, z1, c70, c71);
        Store512(c + 8 * ldc, first, z0, z1, c80, c81);
        Store512(c + 9 * ldc, first, z0, z1, c90, c91);
        Store512(c + 10 * ldc, first, z0, z1, cA0, cA1);
        Store512(c + 11 * ldc, first, z0, z1, cB0, cB1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* row, bool first, Vector512<float> bias0, Vector512<float> bias1, Vector512<float> v0, Vector512<float> v1)
    {
        if (first)
        {
            Avx512F.Store(row, v0 + bias0);
            Avx512F.Store(row + 16, v1 + bias1);
        }
        else
        {
            Avx512F.Store(row, Avx512F.LoadVector512(row) + v0);
            Avx512F.Store(row + 16, Avx512F.LoadVector512(row + 16) + v1);
        }
    }
}
