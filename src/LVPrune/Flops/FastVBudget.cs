using LVPrune.Flops;

namespace LVPrune.Flops;

/// <summary>
/// FastV at equal cost: the kept share whose prefill TFLOPs (FastV prunes once, from layer K, with
/// no scoring network) match a target, e.g. LVPruning's TFLOPs at a budget, so that comparisons
/// are made at the same compute.
/// </summary>
public static class FastVBudget
{
    public static double Tflops(FlopsShape shape, int textTokens, int k, double share) =>
        FlopsModel.Compute(shape with { DecisionAfterLayers = [k - 1] }, textTokens, [share], decisionModules: false).TotalTflops;

    /// <summary>The share in (0, 1] whose TFLOPs are closest to <paramref name="targetTflops"/> (bisection; cost rises with the share).</summary>
    public static double MatchShare(FlopsShape shape, int textTokens, int k, double targetTflops)
    {
        double lo = 1.0 / shape.VisionPatchTokens, hi = 1.0;
        if (Tflops(shape, textTokens, k, lo) >= targetTflops) return lo;
        if (Tflops(shape, textTokens, k, hi) <= targetTflops) return hi;
        for (int i = 0; i < 40; i++)
        {
            double mid = (lo + hi) / 2;
            if (Tflops(shape, textTokens, k, mid) < targetTflops) lo = mid; else hi = mid;
        }
        // Round to a whole number of tokens, the closer of the two neighbours.
        int n = shape.VisionPatchTokens;
        double below = Math.Floor(lo * n) / n, above = Math.Ceiling(lo * n) / n;
        return Math.Abs(Tflops(shape, textTokens, k, below) - targetTflops) <= Math.Abs(Tflops(shape, textTokens, k, above) - targetTflops)
            ? Math.Max(1.0 / n, below) : above;
    }
}
