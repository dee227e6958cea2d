using System.Runtime.Intrinsics.X86;

namespace LVPrune.Tests;

/// <summary>What the CPU running the tests can do, for tests of kernels that need a feature.</summary>
public static class Cpu
{
    /// <summary>AVX2 with FMA: LVPrune's bf16 kernels (Models.Bf16Gemv.Supported).</summary>
    public static bool HasAvx2 => Avx2.IsSupported && Fma.IsSupported;
    public static bool HasAvx512 => HasAvx2 && Avx512F.IsSupported;
}

/// <summary>A fact reported as skipped, never as passed, on a CPU without AVX2 and FMA.</summary>
public sealed class Avx2FactAttribute : FactAttribute
{
    public Avx2FactAttribute()
    {
        if (!Cpu.HasAvx2) Skip = "needs AVX2 and FMA, which this CPU lacks";
    }
}

/// <summary>A theory reported as skipped, never as passed, on a CPU without AVX2 and FMA.</summary>
public sealed class Avx2TheoryAttribute : TheoryAttribute
{
    public Avx2TheoryAttribute()
    {
        if (!Cpu.HasAvx2) Skip = "needs AVX2 and FMA, which this CPU lacks";
    }
}

/// <summary>A theory reported as skipped, never as passed, on a CPU without AVX-512.</summary>
public sealed class Avx512TheoryAttribute : TheoryAttribute
{
    public Avx512TheoryAttribute()
    {
        if (!Cpu.HasAvx512) Skip = "needs AVX-512, which this CPU lacks";
    }
}

/// <summary>
/// Tests that touch process-wide native state (LibTorch's thread count, the GEMV helper threads, the
/// finalizer census) run in this collection, one at a time and after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeStateCollection
{
    public const string Name = "Native state (serial)";
}
