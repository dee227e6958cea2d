using LVPrune.Kernels;

namespace LVPrune.Tests.Kernels;

/// <summary>Shared pieces of the kernel tests: skipping (never passing) where the CPU lacks an ISA, and float64 error bounds.</summary>
internal static class KernelFacts
{
    /// <summary>Reports the calling test as skipped when this CPU cannot run <paramref name="isa"/>.</summary>
    public static void RequireIsa(KernelIsa isa) =>
        Skip.IfNot(CpuFeatures.Current.Supports(isa), $"this CPU ({CpuFeatures.Current}) cannot run the {isa} kernel");

    /// <summary>fp32's unit roundoff.</summary>
    public const double U = 1.0 / (1 << 24);

    /// <summary>
    /// The classic bound on a floating-point dot product of n terms summed in any order:
    /// |fl(x·w) - x·w| &lt;= γ_n Σ|x_i w_i| with γ_n = n u / (1 - n u); plus one rounding of the result.
    /// </summary>
    public static double DotBound(int n, double sumOfAbsProducts, double result) =>
        n * U / (1 - n * U) * sumOfAbsProducts + U * Math.Abs(result) + 1e-30;
}
