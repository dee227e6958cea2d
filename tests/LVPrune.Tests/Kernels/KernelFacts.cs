namespace LVPrune.Tests.Kernels;

/// <summary>Float64 error bounds shared by the kernel tests (skipping by ISA is in MachineFacts.cs: IsaData, Avx2Fact, Avx512Fact).</summary>
internal static class KernelFacts
{
    /// <summary>fp32's unit roundoff.</summary>
    public const double U = 1.0 / (1 << 24);

    /// <summary>
    /// The classic bound on a floating-point dot product of n terms summed in any order:
    /// |fl(x·w) - x·w| &lt;= γ_n Σ|x_i w_i| with γ_n = n u / (1 - n u); plus one rounding of the result.
    /// </summary>
    public static double DotBound(int n, double sumOfAbsProducts, double result) =>
        n * U / (1 - n * U) * sumOfAbsProducts + U * Math.Abs(result) + 1e-30;
}
