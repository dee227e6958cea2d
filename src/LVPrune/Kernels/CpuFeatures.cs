using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace LVPrune.Kernels;

/// <summary>
/// What this CPU can do that decides LVPrune's compute path and kernels, read once in one place.
/// x86 flags come from cpuid (leaf 7 sub-leaf 0 and 1) combined with .NET's own checks where .NET has
/// one (those also know whether the operating system saves the wide registers). Arm's BF16 comes
/// from the kernel's feature list. A record, so tests can build any machine they want to reason about.
/// </summary>
/// <param name="Avx2">AVX2 (256-bit integer and float vectors).</param>
/// <param name="Fma">FMA3 (fused multiply-add); every AVX2 kernel here needs it too.</param>
/// <param name="Avx512F">AVX-512 Foundation (usable: the OS saves the zmm registers).</param>
/// <param name="Avx512Bf16">AVX512_BF16 (vdpbf16ps): LibTorch's bf16 matmul is fast with it (cpuid 7.1 EAX bit 5).</param>
/// <param name="Avx512Vnni">AVX512_VNNI (cpuid 7.0 ECX bit 11).</param>
/// <param name="AvxVnni">AVX-VNNI, the VEX-encoded 256-bit vpdpbusd (cpuid 7.1 EAX bit 4); .NET exposes it as AvxVnni.</param>
/// <param name="AmxBf16">AMX-BF16 tiles (cpuid 7.0 EDX bit 22; Intel Sapphire Rapids and later).</param>
/// <param name="ArmBf16">Arm's BF16 extension (FEAT_BF16: bfdot, bfmmla).</param>
public sealed record CpuFeatures(bool Avx2, bool Fma, bool Avx512F, bool Avx512Bf16, bool Avx512Vnni, bool AvxVnni, bool AmxBf16, bool ArmBf16)
{
    /// <summary>This machine, detected once.</summary>
    public static CpuFeatures Current { get; } = Detect();

    /// <summary>An AVX2+FMA machine without AVX-512 (an AMD Zen 3, an Intel client chip): the common case the fp32 path is for.</summary>
    public static CpuFeatures Avx2Only { get; } = new(true, true, false, false, false, false, false, false);

    /// <summary>Whether some CPU instruction multiplies bf16 natively (so LibTorch's bf16 GEMM is fast).</summary>
    public bool NativeBf16 => Avx512Bf16 || AmxBf16 || ArmBf16;

    /// <summary>The widest kernel ISA of <see cref="KernelIsa"/> this CPU runs, or null when it has not even AVX2+FMA.</summary>
    public KernelIsa? BestIsa => Avx512F && Avx2 && Fma ? KernelIsa.Avx512 : Avx2 && Fma ? KernelIsa.Avx2 : null;

    /// <summary>Whether kernels written for <paramref name="isa"/> can run here.</summary>
    public bool Supports(KernelIsa isa) => isa switch
    {
        KernelIsa.Avx2 => Avx2 && Fma,
        KernelIsa.Avx512 => Avx512F && Avx2 && Fma,
        _ => false,
    };

    /// <summary>One line for logs and reports, e.g. "avx2 fma avx512f avx512_bf16 avx512_vnni avx_vnni".</summary>
    public override string ToString()
    {
        var names = new List<string>();
        if (Avx2) names.Add("avx2");
        if (Fma) names.Add("fma");
        if (Avx512F) names.Add("avx512f");
        if (Avx512Bf16) names.Add("avx512_bf16");
        if (Avx512Vnni) names.Add("avx512_vnni");
        if (AvxVnni) names.Add("avx_vnni");
        if (AmxBf16) names.Add("amx_bf16");
        if (ArmBf16) names.Add("arm_bf16");
        return names.Count == 0 ? "(no vector extensions LVPrune uses)" : string.Join(' ', names);
    }

    private static CpuFeatures Detect()
    {
        if (X86Base.IsSupported)
        {
            var (_, _, ecx7, edx7) = CpuId(7, 0);
            var (eax71, _, _, _) = CpuId(7, 1);
            bool avx512 = System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
            return new CpuFeatures(
                Avx2: System.Runtime.Intrinsics.X86.Avx2.IsSupported,
                Fma: System.Runtime.Intrinsics.X86.Fma.IsSupported,
                Avx512F: avx512,
                Avx512Bf16: avx512 && Bit(eax71, 5),
                Avx512Vnni: avx512 && Bit(ecx7, 11),
                AvxVnni: System.Runtime.Intrinsics.X86.AvxVnni.IsSupported,
                AmxBf16: Bit(edx7, 22) && Bit(edx7, 24),
                ArmBf16: false);
        }
        return new CpuFeatures(false, false, false, false, false, false, false, ArmBf16: DetectArmBf16());
    }

    private static (int Eax, int Ebx, int Ecx, int Edx) CpuId(int leaf, int subLeaf)
    {
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        return leaf > maxLeaf ? (0, 0, 0, 0) : X86Base.CpuId(leaf, subLeaf);
    }

    private static bool Bit(int value, int bit) => ((value >> bit) & 1) != 0;

    /// <summary>Linux lists "bf16" among an Arm core's features in /proc/cpuinfo; macOS answers a sysctl.</summary>
    private static bool DetectArmBf16()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.Arm64) return false;
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
                return File.ReadLines("/proc/cpuinfo")
                    .Where(l => l.StartsWith("Features", StringComparison.Ordinal))
                    .Any(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("bf16"));
            if (OperatingSystem.IsMacOS())
            {
                int value = 0;
                nint size = sizeof(int);
                return SysctlByName("hw.optional.arm.FEAT_BF16", ref value, ref size, 0, 0) == 0 && value != 0;
            }
        }
        catch (IOException) { }
        return false;
    }

    [DllImport("libc", EntryPoint = "sysctlbyname")]
    private static extern int SysctlByName(string name, ref int value, ref nint size, nint newValue, nint newSize);
}
