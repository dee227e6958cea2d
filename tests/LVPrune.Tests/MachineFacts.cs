using System.Reflection;
using LVPrune.Kernels;
using Xunit.Sdk;

namespace LVPrune.Tests;

/// <summary>What the CPU running the tests can do, for tests of kernels that need a feature.</summary>
public static class Cpu
{
    /// <summary>AVX2 with FMA: LVPrune's bf16 kernels (Models.Bf16Gemv.Supported).</summary>
    public static bool HasAvx2 => CpuFeatures.Current.Supports(KernelIsa.Avx2);
    public static bool HasAvx512 => CpuFeatures.Current.Supports(KernelIsa.Avx512);
}

/// <summary>
/// What a test may need that a machine can lack, in one place: each property is the reason a test cannot
/// run here, or null when it can. The attributes below set it as their Skip, so such a test is reported
/// as skipped, never as passed (CI machines have AVX2 but no AVX-512; .ci/run installs the browser).
/// </summary>
public static class Missing
{
    public static string? Avx2 => Cpu.HasAvx2 ? null : "needs AVX2 and FMA, which this CPU lacks";
    public static string? Avx512 => Cpu.HasAvx512 ? null : "needs AVX-512, which this CPU lacks";
    /// <summary>Why a test of the kernels for <paramref name="isa"/> cannot run here, or null.</summary>
    public static string? Isa(KernelIsa isa) => CpuFeatures.Current.Supports(isa) ? null : $"needs {isa}, which this CPU ({CpuFeatures.Current}) lacks";
    public static string? Browser => Serving.SystemBrowser.Present ? null
        : $"needs {Serving.SystemBrowser.Chromium} and {Serving.SystemBrowser.Driver} (apt-get install chromium chromium-driver; .ci/run does)";
    public static string? Mpi(Distributed.MpiFamily family) => Distributed.MpiRun.Launcher(family) is not null ? null
        : $"needs {(family == Distributed.MpiFamily.OpenMpi ? "Open MPI's mpirun (Debian: openmpi-bin)" : "MPICH's mpirun (Debian: mpich)")}, which is not installed (.ci/run installs it)";
}

/// <summary>A fact skipped on a CPU without AVX2 and FMA.</summary>
public sealed class Avx2FactAttribute : FactAttribute
{
    public Avx2FactAttribute() => Skip = Missing.Avx2;
}

/// <summary>A theory skipped on a CPU without AVX2 and FMA.</summary>
public sealed class Avx2TheoryAttribute : TheoryAttribute
{
    public Avx2TheoryAttribute() => Skip = Missing.Avx2;
}

/// <summary>A fact skipped on a CPU without AVX-512.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute() => Skip = Missing.Avx512;
}

/// <summary>
/// One row of a theory whose first argument is the kernel ISA it runs: skipped (never passed) on a CPU
/// that cannot run that ISA, while the other rows still run.
/// </summary>
public class IsaDataAttribute : DataAttribute
{
    private readonly object[] _row;

    public IsaDataAttribute(KernelIsa isa, params object[] rest) : this(Missing.Isa(isa), [isa, .. rest]) { }

    /// <summary>A row skipped with <paramref name="skip"/> when it is not null.</summary>
    protected IsaDataAttribute(string? skip, object[] row)
    {
        _row = row;
        if (skip is not null) Skip = skip;
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [_row];
}

/// <summary>A theory skipped on a CPU without AVX-512.</summary>
public sealed class Avx512TheoryAttribute : TheoryAttribute
{
    public Avx512TheoryAttribute() => Skip = Missing.Avx512;
}

/// <summary>A fact skipped where the system's headless Chromium and chromedriver are not installed.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute() => Skip = Missing.Browser;
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
