using static TorchSharp.torch;
using TorchSharp;
using LVPrune.Models;

namespace LVPrune.Pruning;

/// <summary>
/// Hard straight-through Gumbel-softmax (paper eq. 5-6; Jang et al. 2017; torch.nn.functional.gumbel_softmax with
/// hard=True), which TorchSharp lacks: the forward value is one-hot, the gradient is that of the
/// soft sample softmax((logits + g) / tau), g ~ Gumbel(0, 1).
/// </summary>
public static class GumbelSoftmax
{
    private static readonly Scalar Low = 1e-10.ToScalar(), High = (1.0 - 1e-7).ToScalar();

    /// <summary>Per row of <paramref name="logits"/> [B, ..., K]: a one-hot sample (forward) carrying the soft sample's gradient.</summary>
    /// <param name="rows">where these B rows sit in a global batch split across processes (the noise is that batch's, sliced); null = the whole batch</param>
    public static Tensor Hard(Tensor logits, double tau, TorchSharp.torch.Generator? generator = null, BatchSlice? rows = null)
    {
        using var scope = NewDisposeScope();
        using var temperature = tau.ToScalar();
        // g = -log(-log(U)), U ~ Uniform(0, 1); clamped away from 0 so both logs stay finite.
        var u = BatchSlice.Uniform(logits.shape, rows, generator, logits.device).clamp(Low, High);
        var gumbels = -(-u.log()).log();
        var soft = logits.to(ScalarType.Float32).Plus(gumbels).div(temperature).softmax(-1);
        var index = soft.argmax(-1, keepdim: true);
        var hard = zeros_like(soft).scatter_(-1, index, ones_like(index, ScalarType.Float32));
        return (hard - soft.detach()).Plus(soft).MoveToOuterDisposeScope();
    }
}
