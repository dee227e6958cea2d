using LVPrune.Models;
using LVPrune.Pruning;
using static TorchSharp.torch;
using TorchSharp;

namespace LVPrune.Training;

/// <summary>
/// Attention distillation for adapter training (not in the paper): each decision module learns to
/// rank the image tokens the way the unpruned model's answer rows read them. For stage s after
/// decoder layer l_s the teacher is
///   t_s = normalise over image tokens j of  mean over layers i > l_s of  a_i[j],
/// a_i the head-averaged attention of layer i, averaged over the answer rows (those whose next
/// token carries a label: what the LM loss reads), from a frozen, unpruned pass. The student is the
/// module's keep score z_s = gamma_0 - gamma_1 over the image tokens still alive after stage s-1:
///   L_attn = mean over stages and samples of  KL(t_s || softmax(z_s)) = sum_j t_s[j] log(t_s[j] / softmax(z_s)[j]),
/// over the tokens j still alive (t_s renormalised over them): zero when the module ranks as the teacher.
/// Why: the language-model gradient reaching the keep decisions is sparse and spiky, and it says
/// little about which object a question names (docs/toy-results.md); the teacher's attention does
/// (on the toy model, the answer rows' attention kept 73% of the named object's patches at keep 0.1
/// against 30% of the other objects'). A softmax over tokens is shift invariant, so this term sets
/// the ranking while the ratio loss alone sets how many tokens pass.
/// </summary>
public static class AttentionDistillation
{
    private static readonly Scalar Tiny = 1e-12.ToScalar(), Tinier = 1e-30.ToScalar();

    /// <summary>Teacher distribution of each stage over the image tokens [B, N] (rows sum to 1).</summary>
    /// <param name="attention">per decoder layer, the answer rows' attention [B, T] (layer order)</param>
    /// <param name="stageLayers">layer after which each stage acts</param>
    /// <param name="isImage">[B, T]; every row has the same number N of image tokens</param>
    public static Tensor[] Targets(IReadOnlyList<Tensor> attention, IReadOnlyList<int> stageLayers, Tensor isImage)
    {
        using var scope = NewDisposeScope();
        var imagePos = TopKRemoval.ImagePositions(isImage);                                 // [B, N]
        var result = new Tensor[stageLayers.Count];
        for (int s = 0; s < stageLayers.Count; s++)
        {
            int from = stageLayers[s] + 1;
            if (from >= attention.Count)
                throw new LVPruneException($"attention distillation: stage {s} acts after the last decoder layer ({stageLayers[s]})");
            var mean = stack(attention.Skip(from).ToArray()).mean([0]);                      // [B, T]
            var image = mean.gather(1, imagePos);                                            // [B, N]
            result[s] = (image / image.sum([1], keepdim: true).clamp_min(Tiny)).MoveToOuterDisposeScope();
        }
        return result;
    }

    /// <param name="scores">per stage, keep scores [B, N] with their graph</param>
    /// <param name="alive">per stage, 1 where the image token was still alive [B, N]</param>
    /// <param name="targets">per stage, the teacher distribution [B, N]</param>
    public static Tensor Compute(IReadOnlyList<Tensor> scores, IReadOnlyList<Tensor> alive, IReadOnlyList<Tensor> targets)
    {
        using var scope = NewDisposeScope();
        using var stages = scores.Count.ToScalar();
        var total = zeros([], ScalarType.Float32, scores[0].device);
        for (int s = 0; s < scores.Count; s++)
        {
            var live = alive[s].gt(Scalars.Zero);                                            // [B, N]
            var logp = scores[s].to(ScalarType.Float32).masked_fill(live.logical_not(), Scalars.NegativeInfinity).log_softmax(1);
            var t = targets[s].detach() * live;
            t = t / t.sum([1], keepdim: true).clamp_min(Tiny);                               // renormalised over the live tokens
            var logt = t.clamp_min(Tinier).log();
            var kl = (t * (logt - logp.masked_fill(live.logical_not(), Scalars.Zero))).sum([1]); // [B]; t = 0 terms vanish
            total = total.Plus(kl.mean());
        }
        return total.div(stages).MoveToOuterDisposeScope();
    }
}
