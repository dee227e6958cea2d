namespace LVPrune.Kernels;

/// <summary>
/// Which hand-written vector code a kernel runs. Passed to each kernel call (never a process-wide
/// switch) so that a model holds its choice and a test can run the AVX2 code on an AVX-512 machine;
/// <see cref="CpuFeatures.Supports"/> says whether this CPU can run it.
/// </summary>
public enum KernelIsa
{
    /// <summary>256-bit AVX2 with FMA3: every x86 CPU LVPrune targets (AMD since Zen 1, Intel since Haswell).</summary>
    Avx2,

    /// <summary>512-bit AVX-512F (with AVX2+FMA for the edges): AMD Zen 4+, Intel server chips.</summary>
    Avx512,
}
