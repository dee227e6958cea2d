using System.Diagnostics;
using LVPrune.Benchmarking;
using LVPrune.Kernels;
using static TorchSharp.torch;

namespace LVPrune.Tests.Kernels;

public class ComputePathTests
{
    private static readonly CpuFeatures Zen4 = CpuFeatures.Avx2Only with { Avx512F = true, Avx512Bf16 = true, Avx512Vnni = true, AvxVnni = true };
    private static readonly CpuFeatures ArmWithBf16 = new(false, false, false, false, false, false, false, ArmBf16: true);

    [Fact]
    public void Auto_PicksNativeBf16_OnlyWhereTheCpuMultipliesBf16()
    {
        var zen3 = ComputePathChooser.Choose(CpuFeatures.Avx2Only);
        Assert.Equal(ComputePath.Fp32, zen3.Path);
        Assert.Equal(KernelIsa.Avx2, zen3.Isa);
        Assert.Contains("no native bf16", zen3.Reason);

        var zen4 = ComputePathChooser.Choose(Zen4);
        Assert.Equal(ComputePath.Bf16, zen4.Path);
        Assert.Equal(KernelIsa.Avx512, zen4.Isa);
        Assert.Equal(ComputePath.Bf16, ComputePathChooser.Choose(CpuFeatures.Avx2Only with { AmxBf16 = true }).Path);
        // AVX-512 without its BF16 extension (Intel Skylake-X, Ice Lake): still fp32 compute.
        Assert.Equal(ComputePath.Fp32, ComputePathChooser.Choose(CpuFeatures.Avx2Only with { Avx512F = true }).Path);
    }

    [Fact]
    public void Overrides_Win_AndTheProbeDecidesOnlyWhereFeaturesDoNot()
    {
        Assert.Equal(ComputePath.Fp32, ComputePathChooser.Choose(Zen4, ComputePreference.Fp32).Path);
        Assert.Equal(ComputePath.Bf16, ComputePathChooser.Choose(CpuFeatures.Avx2Only, ComputePreference.Bf16).Path);
        int probes = 0;
        Assert.Equal(ComputePath.Fp32, ComputePathChooser.Choose(CpuFeatures.Avx2Only, bf16Speedup: () => { probes++; return 9; }).Path);
        Assert.Equal(0, probes); // x86 features decide
        Assert.Equal(ComputePath.Bf16, ComputePathChooser.Choose(ArmWithBf16, bf16Speedup: () => 3.0).Path);
        var slow = ComputePathChooser.Choose(ArmWithBf16, bf16Speedup: () => 0.05);
        Assert.Equal(ComputePath.Fp32, slow.Path);
        Assert.Null(slow.Isa); // no x86 kernels on Arm: LibTorch does the work
    }

    [Fact]
    public void ThisMachine_IsDetectedConsistentlyWithDotnet()
    {
        var cpu = CpuFeatures.Current;
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, cpu.Avx2);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, cpu.Avx512F);
        Assert.Equal(System.Runtime.Intrinsics.X86.AvxVnni.IsSupported, cpu.AvxVnni);
        if (File.Exists("/proc/cpuinfo") && System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            var flags = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags")).Split(' ');
            Assert.Equal(flags.Contains("avx512_bf16"), cpu.Avx512Bf16);
            Assert.Equal(flags.Contains("avx512_vnni"), cpu.Avx512Vnni);
            Assert.Equal(flags.Contains("amx_bf16"), cpu.AmxBf16);
        }
    }

    /// <summary>A kernel that takes 40 ms whatever the shape stops the ladder at the first rung, well within the budget.</summary>
    [Fact]
    public void Probe_StopsClimbing_WhenTheNextRungWouldOverrunItsBudget()
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        var (gflops, shape) = MatmulProbe.Measure((m, k, n) => () => { calls++; Thread.Sleep(40); }, TimeSpan.FromMilliseconds(300));
        Assert.Equal(MatmulProbe.Ladder[0], shape);
        Assert.Equal(4, calls); // one warm-up and three timed runs of the first rung only
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"probe took {clock.Elapsed}");
        Assert.InRange(gflops, 0.01, 0.5); // 2 x 16 x 256 x 256 FLOP in 40 ms
    }

    [Fact]
    public void Probe_OfLibTorchBf16_TakesAtMostAFewSeconds_OnAnyCpu()
    {
        var clock = Stopwatch.StartNew();
        var (gflops, _) = MatmulProbe.LibTorch(ScalarType.BFloat16, TimeSpan.FromMilliseconds(500));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"bf16 probe took {clock.Elapsed}");
        Assert.True(gflops > 0);
    }
}
