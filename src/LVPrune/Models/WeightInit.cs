using TorchSharp;
using static TorchSharp.torch;
using LVPrune.Models;

namespace LVPrune.Models;

/// <summary>
/// Initialisation for models trained from scratch (the toy model) and for tests: weights
/// N(0, std) as transformers' _init_weights with initializer_range, biases zero, norm scales one.
/// <paramref name="perturbNorms"/> randomises norm scales and biases too, so that tests cannot
/// pass by accident with a missing bias or an ignored norm weight.
/// </summary>
public static class WeightInit
{
    public static void Initialize(nn.Module model, long seed, double std = 0.02, bool perturbNorms = false)
    {
        using var noGrad = no_grad();
        using var gen = new TorchSharp.torch.Generator((ulong)seed);
        using var tenth = 0.1.ToScalar();
        using var scale = std.ToScalar();
        foreach (var (name, p) in model.named_parameters())
        {
            bool isNorm = name.Contains("norm") || name.Contains("layrnorm");
            bool isBias = name.EndsWith(".bias", StringComparison.Ordinal);
            using var scope = NewDisposeScope();
            Tensor value;
            if (isNorm && !isBias) value = perturbNorms ? randn(p.shape, generator: gen).mul(tenth).Plus(Scalars.One) : ones(p.shape);
            else if (isBias) value = perturbNorms ? randn(p.shape, generator: gen).mul(tenth) : zeros(p.shape);
            else value = randn(p.shape, generator: gen).mul(scale);
            p.copy_(value.to(p.dtype, p.device));
        }
    }
}
