using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// How a <see cref="Linear"/> computes y = x W^T + b from its weight. Chosen at load for each layer
/// (<see cref="RuntimeOptions.ProductFor"/>): the modules call <see cref="Linear"/> and never a kernel,
/// so a new kind of weight (int8 with per-group scales, bf16 widened to fp32 compute) is one more
/// subclass here, not a change to every module.
/// </summary>
public abstract class WeightProduct
{
    /// <summary>y_m = x W_m^T + b_m for layers that share the input x [..., in] (q, k and v; gate and up), one result per layer.</summary>
    public abstract Tensor[] Forward(Tensor x, IReadOnlyList<Linear> layers);
}

/// <summary>Every product by LibTorch's linear (its GEMM, or its GEMV for a few rows).</summary>
public sealed class LibTorchProduct : WeightProduct
{
    public static LibTorchProduct Instance { get; } = new();

    private LibTorchProduct() { }

    public override Tensor[] Forward(Tensor x, IReadOnlyList<Linear> layers)
    {
        var y = new Tensor[layers.Count];
        for (int i = 0; i < y.Length; i++) y[i] = nn.functional.linear(x, layers[i].weight, layers[i].bias);
        return y;
    }
}

/// <summary>
/// Decode-sized bf16 products on the CPU by <see cref="Bf16Gemv"/> (several weights in one pass over
/// the cores), everything else (prefill, fp32, autograd) by LibTorch.
/// </summary>
public sealed class Bf16GemvProduct : WeightProduct
{
    public static Bf16GemvProduct Avx512 { get; } = new(avx512: true);
    public static Bf16GemvProduct Avx2 { get; } = new(avx512: false);

    private readonly bool _avx512;

    private Bf16GemvProduct(bool avx512) => _avx512 = avx512;

    public override Tensor[] Forward(Tensor x, IReadOnlyList<Linear> layers)
    {
        if (layers.All(l => Bf16Gemv.Applies(x, l.weight, l.bias)))
            return Bf16Gemv.Linears(x, layers.Select(l => ((Tensor)l.weight, (Tensor?)l.bias)).ToArray(), _avx512);
        if (layers.Count == 1) return LibTorchProduct.Instance.Forward(x, layers);
        return layers.Select(l => Forward(x, [l])[0]).ToArray();
    }
}
