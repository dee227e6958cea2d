using static TorchSharp.torch;
using LVPrune.Models;
using TorchSharp;

namespace LVPrune.Training;

/// <summary>Next-token cross-entropy on the supervised (answer) tokens, as LLaVA's instruction tuning:
/// logits at t predict the label at t+1; positions labelled -100 are ignored; mean over supervised tokens.</summary>
public static class CausalLmLoss
{
    public static Tensor Compute(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        long V = logits.shape[2];
        var shiftLogits = logits.narrow(1, 0, logits.shape[1] - 1).reshape(-1, V).to(ScalarType.Float32); // [B*(T-1), V]
        var shiftLabels = labels.narrow(1, 1, labels.shape[1] - 1).reshape(-1).to(logits.device);            // [B*(T-1)]
        return nn.functional.cross_entropy(shiftLogits, shiftLabels, ignore_index: -100).MoveToOuterDisposeScope();
    }

    /// <summary>How many labels this loss averages over: supervised labels after the first position. A double, for <see cref="BatchShare"/>.</summary>
    public static double SupervisedCount(Tensor labels)
    {
        using var scope = NewDisposeScope();
        return labels.narrow(1, 1, labels.shape[1] - 1).ne(Scalars.IgnoreIndex).sum().ReadDouble();
    }

    /// <summary>The rows this loss reads: 1 at row t when label t+1 is supervised, else 0 (the last row
    /// predicts nothing). [B, T] fp32.</summary>
    public static Tensor PredictingRows(Tensor labels)
    {
        using var scope = NewDisposeScope();
        long T = labels.shape[1];
        var next = labels.narrow(1, 1, T - 1).ne(Scalars.IgnoreIndex).to(ScalarType.Float32);            // [B, T-1]
        return nn.functional.pad(next, [0, 1]).MoveToOuterDisposeScope();                  // [B, T]
    }
}
