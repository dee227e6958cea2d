using LVPrune.Kernels;
using LVPrune.Quantization;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Kernel choices of a loaded model: given at load (<see cref="ModelLoader.Load"/>, the model's
/// constructor), held by the model and read by its modules. Nothing here is process-global: two
/// models in one process may run with different kernels (a benchmark compares them side by side,
/// tests run in parallel).
/// </summary>
public sealed record RuntimeOptions
{
    /// <summary>Decode steps of bf16 CPU models through LVPrune's own kernels: products of a few rows
    /// by <see cref="Bf16Gemv"/> and attention over the cache by <see cref="Bf16DecodeAttention"/>,
    /// with LibTorch on one thread meanwhile. false: LibTorch for everything (`bench --decode-kernel libtorch`).</summary>
    public bool DecodeKernels { get; init; } = true;

    /// <summary>Whether the GEMV may use its AVX-512 loop where the CPU has one (false: its AVX2 loop).</summary>
    public bool Avx512 { get; init; } = true;

    /// <summary>The attention function (by name, <see cref="AttentionRegistry"/>) of prefill and cache-free passes.</summary>
    public string PrefillAttention { get; init; } = AttentionRegistry.Sdpa;

    /// <summary>The attention function of decode steps (one new token over the cache) when <see cref="DecodeKernels"/>
    /// is on and it can run the step; otherwise <see cref="PrefillAttention"/> decodes too. null: the decode kernel
    /// of the model's compute path (bf16_decode, or fp32_decode where bf16 or int8 weights compute in fp32).</summary>
    public string? DecodeAttention { get; init; }

    /// <summary>`--compute auto|bf16|fp32`: the compute path; auto decides by the CPU (<see cref="ComputePathChooser"/>).</summary>
    public ComputePreference Compute { get; init; } = ComputePreference.Auto;

    /// <summary>`--quantize int8`: the language model's projections quantized at load in this format (null: as stored).
    /// A checkpoint that is already int8 loads as int8 whatever this says.</summary>
    public Int8Checkpoint? Quantize { get; init; }

    /// <summary>The defaults: LVPrune's decode kernels where the machine and the model's dtype allow them.</summary>
    public static RuntimeOptions Default { get; } = new();

    /// <summary>LibTorch for every product and every attention (the reference the kernels are measured against).</summary>
    public static RuntimeOptions LibTorchOnly { get; } = new() { DecodeKernels = false };

    /// <summary>
    /// How <paramref name="layer"/>'s products are computed under these options, for activations in
    /// <paramref name="computeDType"/>: int8 weights, and bf16 weights under fp32 activations, by our
    /// kernels (<see cref="Fp32ComputeProduct"/>, whatever <see cref="DecodeKernels"/> says: LibTorch
    /// cannot multiply them); otherwise as before (the bf16 GEMV for decode, LibTorch for the rest).
    /// </summary>
    public WeightProduct ProductFor(Linear layer, ScalarType computeDType, KernelIsa? isa)
    {
        if (layer.Quantized is not null || (computeDType == ScalarType.Float32 && layer.weight.dtype == ScalarType.BFloat16))
            return Fp32ComputeProduct.For(isa == KernelIsa.Avx512 && !Avx512 ? KernelIsa.Avx2 : isa ?? throw new LVPruneException($"this CPU ({CpuFeatures.Current}) has no AVX2+FMA: bf16 or int8 weights cannot compute in fp32 here (use --compute bf16 without --quantize)"));
        if (!DecodeKernels) return LibTorchProduct.Instance;
        return Avx512 ? Bf16GemvProduct.Avx512 : Bf16GemvProduct.Avx2;
    }

    /// <summary>Gives every <see cref="Linear"/> in <paramref name="module"/> (itself included) its product under these options.</summary>
    public void ApplyTo(nn.Module module, ScalarType computeDType, KernelIsa? isa)
    {
        foreach (var linear in module.modules().Prepend(module).OfType<Linear>()) linear.Product = ProductFor(linear, computeDType, isa);
    }

    /// <summary>
    /// The compute path for a model whose weights are <paramref name="weights"/> (int8 when
    /// <paramref name="quantized"/>), and the dtype its activations, KV cache and norms then hold.
    /// fp32 weights compute in fp32 on every path. bf16 weights compute in bf16 where the CPU
    /// multiplies bf16 natively, else in fp32 over the bf16 weights. int8 weights always compute in
    /// fp32 (our GEMM and GEMV dequantize them; see docs/cpu-kernels.md for the choice).
    /// </summary>
    public (ComputeChoice Choice, ScalarType DType) ResolveCompute(ScalarType weights, bool quantized, Device device)
    {
        if (device.type != TorchSharp.DeviceType.CPU) return (new ComputeChoice(ComputePath.Bf16, null, $"{device.type}: LibTorch in the weights' dtype"), weights);
        var cpu = CpuFeatures.Current;
        var choice = ComputePathChooser.Choose(cpu, Compute);
        if (quantized)
        {
            if (cpu.BestIsa is null) throw new LVPruneException($"int8 weights need a CPU with AVX2 and FMA; this one has {cpu}");
            if (Compute == ComputePreference.Bf16) throw new LVPruneException("--compute bf16 cannot run int8 weights: they compute in fp32 (use --compute auto or fp32)");
            return (choice with { Path = ComputePath.Fp32, Reason = "int8 weights compute in fp32 (our GEMM and GEMV dequantize them block by block)" }, ScalarType.Float32);
        }
        if (weights != ScalarType.BFloat16) return (choice with { Path = ComputePath.Fp32, Reason = $"{WeightDType.Name(weights)} weights compute in their own dtype" }, weights);
        if (choice.Path == ComputePath.Fp32 && choice.Isa is null)
            choice = new ComputeChoice(ComputePath.Bf16, null, $"no AVX2+FMA on this CPU ({cpu}): LibTorch's bf16 matmul is all there is");
        return (choice, choice.Path == ComputePath.Fp32 ? ScalarType.Float32 : ScalarType.BFloat16);
    }
}
