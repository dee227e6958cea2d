using LVPrune.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// y = x W^T + b with parameters allocated but not initialised: weights come from a checkpoint
/// (or from <see cref="Init"/> for models trained from scratch), so a 7B model does not spend
/// minutes filling tensors it will overwrite. Field names equal checkpoint keys. An int8 layer
/// (<see cref="UseQuantized"/>) holds its weight as <see cref="Quantized"/> and frees the dense one.
/// </summary>
public sealed class Linear : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight; // [out, in]
    public readonly Parameter? bias;  // [out]

    public Linear(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype, Device? device = null) : base(nameof(Linear))
    {
        weight = new Parameter(empty(outFeatures, inFeatures, dtype, device));
        if (hasBias) bias = new Parameter(empty(outFeatures, dtype, device));
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        RegisterComponents();
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }

    /// <summary>The int8 weight with its scales, when this layer is quantized (then <see cref="weight"/> holds no elements).</summary>
    public QuantizedWeight? Quantized { get; private set; }

    /// <summary>
    /// Makes this layer int8: <paramref name="quantized"/> (owned from now on) replaces the dense
    /// weight, whose storage is released. Its product must be set again (<see cref="RuntimeOptions.ApplyTo"/>).
    /// </summary>
    public void UseQuantized(QuantizedWeight quantized)
    {
        if (quantized.OutFeatures != OutFeatures || quantized.InFeatures != InFeatures)
            throw new ArgumentException($"an int8 weight [{quantized.OutFeatures}, {quantized.InFeatures}] cannot replace [{OutFeatures}, {InFeatures}]");
        Quantized?.Dispose();
        Quantized = quantized;
        using (no_grad()) weight.set_(empty(0, weight.dtype, weight.device));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Quantized?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>How the product is computed (<see cref="RuntimeOptions.ApplyTo"/> sets it at load); LibTorch until then.</summary>
    public WeightProduct Product { get; set; } = LibTorchProduct.Instance;

    public override Tensor forward(Tensor x) => Product.Forward(x, [this])[0];

    /// <summary>Several layers applied to the same input (q, k and v; gate and up) by the first layer's
    /// product: decode-sized bf16 products then run as one kernel call over all their weights.</summary>
    public static Tensor[] ForwardMany(Tensor x, params Linear[] layers) => layers[0].Product.Forward(x, layers);
}

/// <summary>Token embedding table; rows are looked up with index_select (differentiable).</summary>
public sealed class Embedding : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight; // [V, D]

    public Embedding(long count, long dim, ScalarType dtype, Device? device = null) : base(nameof(Embedding))
    {
        weight = new Parameter(empty(count, dim, dtype, device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        var shape = ids.shape.Append(weight.shape[1]).ToArray();
        return weight.index_select(0, ids.reshape(-1)).view(shape); // [..., D]
    }
}

/// <summary>LayerNorm over the last dimension (CLIP's pre-LN layers, the decision modules' FFN).</summary>
public sealed class LayerNorm : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight;
    public readonly Parameter bias;
    private readonly double _eps;

    public LayerNorm(long dim, double eps, ScalarType dtype, Device? device = null) : base(nameof(LayerNorm))
    {
        weight = new Parameter(ones(dim, dtype, device));
        bias = new Parameter(zeros(dim, dtype, device));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.layer_norm(x, [weight.shape[0]], weight, bias, _eps);
}
