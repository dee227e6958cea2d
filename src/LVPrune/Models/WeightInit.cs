using TorchSharp;
using static TorchSharp.torch;

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
        var gen = new TorchSharp.torch.Generator((ulong)seed);
        foreach (var (name, p) in model.named_parameters())
        {
            bool isNorm = name.Contains("norm") || name.Contains("layrnorm");
            bool isBias = name.EndsWith(".bias", StringComparison.Ordinal);
            using var scope = NewDisposeScope();
            Tensor value;
            if (isNorm && !isBias) value = perturbNorms ? 1 + 0.1 * randn(p.shape, generator: gen) : ones(p.shape);
            else if (isBias) value = perturbNorms ? 0.1 * randn(p.shape, generator: gen) : zeros(p.shape);
            else value = std * randn(p.shape, generator: gen);
            p.copy_(value.to(p.dtype, p.device));
        }
    }
}
