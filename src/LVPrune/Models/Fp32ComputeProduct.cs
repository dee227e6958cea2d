using LVPrune.Kernels;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Products of the fp32 compute path: activations in fp32, weights as stored (bf16, or int8 with
/// per-group scales) and widened inside our kernels, never copied to fp32 as a whole. A few rows
/// (decode) go to the GEMVs (<see cref="Bf16Fp32Gemv"/>, <see cref="Int8Gemv"/>: several weights in one
/// pass over the cores), more rows (prefill, the vision tower) to <see cref="WeightGemm"/>. fp32
/// weights (an fp32 model's adapter, norms' neighbours) go to LibTorch's fp32 GEMM. A pass that
/// records autograd gets LibTorch over a widened copy (training is not this path's purpose).
/// </summary>
public sealed class Fp32ComputeProduct : WeightProduct
{
    private static readonly Fp32ComputeProduct Avx2 = new(KernelIsa.Avx2), Avx512 = new(KernelIsa.Avx512);

    public static Fp32ComputeProduct For(KernelIsa isa) => isa == KernelIsa.Avx512 ? Avx512 : Avx2;

    public KernelIsa Isa { get; }

    private Fp32ComputeProduct(KernelIsa isa) => Isa = isa;

    public override Tensor[] Forward(Tensor x, IReadOnlyList<Linear> layers)
    {
        if (x.dtype != ScalarType.Float32)
            throw new InvalidOperationException($"the fp32 compute path got {x.dtype} activations for a [{layers[0].OutFeatures}, {layers[0].InFeatures}] product");
        if (is_grad_enabled() && (x.requires_grad || layers.Any(l => l.weight.requires_grad)))
            return layers.Select(l => nn.functional.linear(x, l.weight.to(ScalarType.Float32), l.bias?.to(ScalarType.Float32))).ToArray();
        long rows = x.numel() / layers[0].InFeatures;
        if (rows <= GemvChunks.MaxRows && x.device_type == TorchSharp.DeviceType.CPU)
        {
            if (layers.All(l => l.Quantized is not null))
                return Int8Gemv.Linears(x, layers.Select(l => (l.Quantized!, (Tensor?)l.bias)).ToArray(), Isa);
            if (layers.All(l => l.Quantized is null && l.weight.dtype == ScalarType.BFloat16))
                return Bf16Fp32Gemv.Linears(x, layers.Select(l => ((Tensor)l.weight, (Tensor?)l.bias)).ToArray(), Isa);
        }
        return layers.Select(l => One(x, l)).ToArray();
    }

    private Tensor One(Tensor x, Linear layer)
    {
        if (layer.Quantized is { } q) return WeightGemm.Linear(x, q, layer.bias, Isa);
        if (layer.weight.dtype == ScalarType.BFloat16) return WeightGemm.Linear(x, layer.weight, layer.bias, Isa);
        return nn.functional.linear(x, layer.weight, layer.bias);
    }
}
