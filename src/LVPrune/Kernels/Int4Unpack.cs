using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LVPrune.Kernels;

/// <summary>
/// Widens packed 4-bit weights (<see cref="Quantization.Int4Weight"/>: input 2j in the low nibble of
/// byte j, input 2j+1 in the high one, offset by 8) to fp32 q values in input order: each byte is
/// duplicated (pshufb), zero-extended to 32 bits, shifted right by 0 or 4 per lane, masked, and
/// the offset removed. The caller multiplies by the group's scale.
/// </summary>
internal static unsafe class Int4Unpack
{
    /// <summary>Inputs k .. k+8 from the 4 bytes at <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Eight(byte* p)
    {
        var bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(p)).AsByte();
        var twice = Ssse3.Shuffle(bytes, Vector128.Create((byte)0, 0, 1, 1, 2, 2, 3, 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80));
        var nibbles = Avx2.And(Avx2.ShiftRightLogicalVariable(Avx2.ConvertToVector256Int32(twice), Vector256.Create(0u, 4, 0, 4, 0, 4, 0, 4)), Vector256.Create(15));
        return Avx.ConvertToVector256Single(Avx2.Subtract(nibbles, Vector256.Create(8)));
    }

    /// <summary>Inputs k .. k+16 from the 8 bytes at <paramref name="p"/> (AVX-512).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sixteen(byte* p)
    {
        var bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(p)).AsByte();
        var twice = Ssse3.Shuffle(bytes, Vector128.Create((byte)0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
        var shifts = Vector512.Create(0u, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4);
        var nibbles = Avx512F.And(Avx512F.ShiftRightLogicalVariable(Avx512F.ConvertToVector512Int32(twice), shifts), Vector512.Create(15));
        return Avx512F.ConvertToVector512Single(Avx512F.Subtract(nibbles, Vector512.Create(8)));
    }

    /// <summary>One input's q value (scalar edges).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int One(byte* row, int k) => ((row[k >> 1] >> ((k & 1) * 4)) & 15) - 8;
}
