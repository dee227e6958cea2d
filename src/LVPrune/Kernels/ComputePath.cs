namespace LVPrune.Kernels;

/// <summary>The dtype in which the model's matmuls run (the `--compute` flag's values, less auto).</summary>
public enum ComputePath
{
    /// <summary>Native bf16 matmul (LibTorch through oneDNN): activations and weights bf16. Fast only where the CPU multiplies bf16 (AVX512_BF16, AMX, Arm BF16).</summary>
    Bf16,

    /// <summary>
    /// Activations fp32; weights stay bf16 (or int8) in memory and are widened block by block inside
    /// <see cref="WeightGemm"/> (prefill) and <see cref="Bf16Fp32Gemv"/> / <see cref="Int8Gemv"/>
    /// (decode). For every CPU without native bf16: LibTorch's bf16 matmul there runs at ~1 GFLOP/s.
    /// </summary>
    Fp32,
}

/// <summary>What the user asked for with `--compute auto|bf16|fp32`.</summary>
public enum ComputePreference { Auto, Bf16, Fp32 }

/// <summary>The path chosen, the kernel ISA for our own kernels (null: none runs here, LibTorch does all), and why, for logs and reports.</summary>
public sealed record ComputeChoice(ComputePath Path, KernelIsa? Isa, string Reason);

/// <summary>
/// Picks the compute path for this machine at load, with nothing for the user to tune: by CPU
/// features where they decide it (x86: AVX512_BF16 or AMX-BF16 means native bf16, anything else
/// fp32), by a quick probe of LibTorch's bf16 against fp32 matmul where they do not (an Arm core with
/// BF16, whose LibTorch build may or may not use it). `--compute bf16|fp32` overrides.
/// </summary>
public static class ComputePathChooser
{
    /// <summary>
    /// The choice for <paramref name="cpu"/>. <paramref name="bf16Speedup"/> measures LibTorch's bf16
    /// matmul speed over its fp32 one (e.g. <c>MatmulProbe.Bf16Speedup</c>); it is called only when the
    /// features do not decide, and native bf16 wins when it is at least 1.2x faster.
    /// </summary>
    public static ComputeChoice Choose(CpuFeatures cpu, ComputePreference preference = ComputePreference.Auto, Func<double>? bf16Speedup = null)
    {
        var isa = cpu.BestIsa;
        switch (preference)
        {
            case ComputePreference.Bf16: return new(ComputePath.Bf16, isa, "--compute bf16");
            case ComputePreference.Fp32: return new(ComputePath.Fp32, isa, "--compute fp32");
        }
        if (cpu.Avx512Bf16 || cpu.AmxBf16)
            return new(ComputePath.Bf16, isa, $"the CPU multiplies bf16 natively ({(cpu.AmxBf16 ? "amx_bf16" : "avx512_bf16")})");
        if (cpu.ArmBf16 && bf16Speedup is not null)
        {
            double speedup = bf16Speedup();
            return speedup >= 1.2
                ? new(ComputePath.Bf16, isa, $"arm_bf16, and LibTorch's bf16 matmul ran {speedup:F1}x its fp32 one")
                : new(ComputePath.Fp32, isa, $"arm_bf16, but LibTorch's bf16 matmul ran only {speedup:F2}x its fp32 one");
        }
        if (cpu.ArmBf16) return new(ComputePath.Bf16, isa, "arm_bf16 (not probed)");
        return new(ComputePath.Fp32, isa, "no native bf16 multiply on this CPU (no avx512_bf16 / amx_bf16 / arm bf16): bf16 weights, fp32 compute");
    }
}
