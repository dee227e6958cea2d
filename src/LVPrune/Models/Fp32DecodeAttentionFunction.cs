using LVPrune.Kernels;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// "fp32_decode": a decode step's attention over an fp32 KV cache by <see cref="Fp32DecodeAttention"/>
/// (grouped-query heads, the model's padding rule): the decode attention of the fp32 compute path.
/// </summary>
public sealed class Fp32DecodeAttentionFunction : IAttentionFunction
{
    public static Fp32DecodeAttentionFunction Instance { get; } = new();

    private Fp32DecodeAttentionFunction() { }

    public string Name => AttentionRegistry.Fp32Decode;

    /// <summary>Decode steps of fp32 CPU activations without autograd, on a CPU with AVX2 and FMA.</summary>
    public bool Supports(AttentionPass pass) =>
        CpuFeatures.Current.BestIsa is not null && pass is { Queries: 1, Cached: true, DType: ScalarType.Float32, Device: TorchSharp.DeviceType.CPU, GradEnabled: false }
        && pass.Heads % pass.KvHeads == 0;

    public Tensor Attend(AttentionCall call)
    {
        var cache = call.Cache ?? throw new InvalidOperationException("fp32_decode reads a KV cache");
        return Fp32DecodeAttention.Attend(call.Query, cache.K, cache.V, cache.Length, call.Masks.HasPadding ? cache.Valid : null, CpuFeatures.Current.BestIsa!.Value);
    }
}
