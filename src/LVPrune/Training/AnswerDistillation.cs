using static TorchSharp.torch;
using LVPrune.Models;
using TorchSharp;

namespace LVPrune.Training;

/// <summary>
/// Token distillation for adapter training (DynamicViT's, which LVPruning follows for its masks; not in
/// LVPruning's own loss): the hidden state that predicts each answer token should stay what the
/// unpruned model computes there,
///   L_distill = mean over answer rows r of ||h_r - h_r^teacher||^2 / ||h_r^teacher||^2,
/// with h the final (normed) hidden states, the teacher the frozen base without pruning, and the answer
/// rows those whose next token carries a label (the rows the LM loss reads). Relative, so the same
/// weight suits any width. Unlike the answer's cross-entropy it does not vanish when the answer is
/// already certain: dropping a patch the answer looks at moves h even when the argmax holds.
/// </summary>
public static class AnswerDistillation
{
    private static readonly TorchSharp.Scalar Tiny = 1e-12.ToScalar();

    /// <param name="hidden">student hidden states [B, T, C] (training masks: no token removed)</param>
    /// <param name="teacher">the unpruned model's hidden states [B, T, C]</param>
    /// <param name="labels">[B, T], -100 where unsupervised</param>
    public static Tensor Compute(Tensor hidden, Tensor teacher, Tensor labels)
    {
        using var scope = NewDisposeScope();
        long T = hidden.shape[1];
        var rows = CausalLmLoss.PredictingRows(labels).narrow(1, 0, T - 1).to(hidden.device);    // [B, T-1]: row t predicts label t+1
        var h = hidden.narrow(1, 0, T - 1).to(ScalarType.Float32);                                  // [B, T-1, C]
        var t = teacher.narrow(1, 0, T - 1).to(ScalarType.Float32).detach();                         // [B, T-1, C]
        var rel = (h - t).pow(Scalars.Two).sum([-1]) / t.pow(Scalars.Two).sum([-1]).clamp_min(Tiny);   // [B, T-1]
        return ((rel * rows).sum() / rows.sum().clamp_min(Scalars.One)).MoveToOuterDisposeScope();
    }
}
