using static TorchSharp.torch;
using TorchSharp;

namespace LVPrune.Models;

/// <summary>The activation functions named in configs, in transformers' exact forms.</summary>
public static class Activations
{
    private static readonly TorchSharp.Scalar QuickGeluSlope = 1.702.ToScalar();

    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),                              // exact erf form
        "gelu_pytorch_tanh" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "quick_gelu" => x => x * sigmoid(x.mul(QuickGeluSlope)),          // CLIP's x * sigmoid(1.702 x)
        "silu" => x => nn.functional.silu(x),
        "relu" => x => nn.functional.relu(x),
        _ => throw new LVPruneException($"unsupported activation '{name}'"),
    };
}
