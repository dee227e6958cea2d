using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>
/// This process's part of a global micro-batch split across processes (data-parallel training): its
/// rows and the global batch's count of supervised tokens. Every loss term is a mean over the GLOBAL
/// batch (over its label tokens, or over its rows), so each process weights its local mean by its share
/// and the processes' gradients simply add up: 2 processes x b rows give what 1 process x 2b gives.
/// </summary>
/// <param name="Rows">where this process's rows sit in the global batch</param>
/// <param name="LabelTokens">supervised tokens of the global batch (<see cref="CausalLmLoss.SupervisedCount"/> summed over the processes)</param>
public sealed record BatchShare(BatchSlice Rows, double LabelTokens)
{
    /// <summary>Weight of a mean over this process's <paramref name="rows"/> rows: rows / global rows.</summary>
    public double RowShare(long rows) => (double)rows / Rows.Total;

    /// <summary>Weight of a mean over this process's <paramref name="tokens"/> supervised tokens: tokens / global tokens.</summary>
    public double TokenShare(double tokens) => LabelTokens > 0 ? tokens / LabelTokens : 0;

    /// <summary><paramref name="value"/> x <paramref name="weight"/>; the tensor itself for weight 1, so an unsplit batch computes exactly as before.</summary>
    public static Tensor Weigh(Tensor value, double weight)
    {
        if (weight == 1.0) return value;
        using var w = weight.ToScalar();
        return value.mul(w);
    }
}
