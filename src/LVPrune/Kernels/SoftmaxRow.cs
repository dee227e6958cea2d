namespace LVPrune.Kernels;

/// <summary>The softmax step the decode-attention kernels share: one row of scores, in place.</summary>
public static class SoftmaxRow
{
    /// <summary>
    /// Replaces each score by exp(score - <paramref name="max"/>) (a masked, -inf score by 0) and returns
    /// their sum, by which the caller divides its weighted sum once instead of every weight.
    /// </summary>
    public static float ExpInPlace(Span<float> scores, float max)
    {
        float total = 0f;
        for (int j = 0; j < scores.Length; j++)
        {
            float e = float.IsNegativeInfinity(scores[j]) ? 0f : MathF.Exp(scores[j] - max);
            scores[j] = e;
            total += e;
        }
        return total;
    }
}
