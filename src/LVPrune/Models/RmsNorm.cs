using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// LLaMA's RMSNorm exactly as transformers' LlamaRMSNorm: normalise in fp32, cast back to the
/// input dtype, then scale by the weight (in the weight's dtype).
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight; // [D]
    private readonly Scalar _eps;

    public RmsNorm(long dim, double eps, ScalarType dtype, Device? device = null) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(dim, dtype, device));
        _eps = eps.ToScalar();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.to(ScalarType.Float32);
        var variance = h.pow(Scalars.Two).mean([-1], keepdim: true);
        h = h * rsqrt(variance.PlusInPlace(_eps));
        return (weight * h.to(x.dtype)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _eps.Dispose();
        base.Dispose(disposing);
    }
}
