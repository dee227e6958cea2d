using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// Hard straight-through Gumbel-softmax (Jang et al. 2017; torch.nn.functional.gumbel_softmax with
/// hard=True), which TorchSharp lacks: the forward value is one-hot, the gradient is that of the
/// soft sample softmax((logits + g) / tau), g ~ Gumbel(0, 1).
/// </summary>
public static class GumbelSoftmax
{
    public static Tensor Hard(Tensor logits, double tau, TorchSharp.torch.Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        // g = -log(-log(U)), U ~ Uniform(0, 1); clamped away from 0 so both logs stay finite.
        var u = rand(logits.shape, ScalarType.Float32, logits.device, generator: generator).clamp(1e-10, 1.0 - 1e-7);
        var gumbels = -(-u.log()).log();
        var soft = ((logits.to(ScalarType.Float32) + gumbels) / tau).softmax(-1);
        var index = soft.argmax(-1, keepdim: true);
        var hard = zeros_like(soft).scatter_(-1, index, ones_like(index, ScalarType.Float32));
        return (hard - soft.detach() + soft).MoveToOuterDisposeScope();
    }
}
