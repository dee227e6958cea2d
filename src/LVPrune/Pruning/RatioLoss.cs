using TorchSharp;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// The keep-ratio loss (paper eq. 11): L_ratio = (1/S) sum_s (rho_s - mean_{i in I_V} D_s[i])^2 per
/// sample, then the batch mean. MSE by default; the Huber (smooth-L1, beta = 0.5) variant the
/// paper's text mentions is an option.
/// </summary>
public static class RatioLoss
{
    /// <param name="stages">training-mode stage outcomes (SoftKeep [B, T] over the unpruned sequence)</param>
    /// <param name="isImage">image-token positions [B, T]</param>
    /// <param name="targets">rho_s per stage</param>
    public static Tensor Compute(IReadOnlyList<StageOutcome> stages, Tensor isImage, IReadOnlyList<double> targets, bool huber = false, double beta = 0.5) =>
        Compute(stages.Select(s => s.SoftKeep ?? throw new ArgumentException("ratio loss needs training-mode (soft) decisions")).ToList(), isImage, targets, huber, beta);

    /// <param name="softKeeps">each stage's keep weights D_s [B, T]</param>
    public static Tensor Compute(IReadOnlyList<Tensor> softKeeps, Tensor isImage, IReadOnlyList<double> targets, bool huber = false, double beta = 0.5)
    {
        if (softKeeps.Count != targets.Count) throw new ArgumentException($"{softKeeps.Count} stages but {targets.Count} targets");
        using var scope = NewDisposeScope();
        using var half = 0.5.ToScalar();
        using var b = beta.ToScalar();
        using var halfBeta = (0.5 * beta).ToScalar();
        using var stages = softKeeps.Count.ToScalar();
        var image = isImage.to(ScalarType.Float32);
        Tensor total = zeros(isImage.shape[0], ScalarType.Float32, isImage.device);
        for (int s = 0; s < softKeeps.Count; s++)
        {
            using var target = targets[s].ToScalar();
            var diff = Rate(softKeeps[s], image).sub(target);                                   // [B]
            total = total.Plus(huber
                ? where(diff.abs().lt(b), diff.pow(Scalars.Two).mul(half).div(b), diff.abs().sub(halfBeta))
                : diff.pow(Scalars.Two));
        }
        return total.div(stages).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Kept fraction of the vision tokens at each stage, averaged over the batch (for logs).</summary>
    public static double[] KeepRates(IReadOnlyList<StageOutcome> stages, Tensor isImage)
    {
        using var scope = NewDisposeScope();
        var image = isImage.to(ScalarType.Float32);
        return stages.Select(s => Rate(s.SoftKeep!.detach(), image).mean().ReadDouble()).ToArray();
    }

    /// <summary>Kept fraction of each sample's vision tokens: sum of D over image positions / their count. [B]</summary>
    private static Tensor Rate(Tensor softKeep, Tensor image) => (softKeep * image).sum([1]) / image.sum([1]).clamp_min(Scalars.One);
}
