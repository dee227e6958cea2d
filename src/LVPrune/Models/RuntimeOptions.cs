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
    /// is on and it can run the step; otherwise <see cref="PrefillAttention"/> decodes too.</summary>
    public string DecodeAttention { get; init; } = AttentionRegistry.Bf16Decode;

    /// <summary>The defaults: LVPrune's decode kernels where the machine and the model's dtype allow them.</summary>
    public static RuntimeOptions Default { get; } = new();

    /// <summary>LibTorch for every product and every attention (the reference the kernels are measured against).</summary>
    public static RuntimeOptions LibTorchOnly { get; } = new() { DecodeKernels = false };

    /// <summary>How <paramref name="layer"/>'s products are computed under these options.</summary>
    public WeightProduct ProductFor(Linear layer) =>
        DecodeKernels ? (Avx512 ? Bf16GemvProduct.Avx512 : Bf16GemvProduct.Avx2) : LibTorchProduct.Instance;

    /// <summary>Gives every <see cref="Linear"/> in <paramref name="module"/> (itself included) its product under these options.</summary>
    public void ApplyTo(TorchSharp.torch.nn.Module module)
    {
        foreach (var linear in module.modules().Prepend(module).OfType<Linear>()) linear.Product = ProductFor(linear);
    }
}
