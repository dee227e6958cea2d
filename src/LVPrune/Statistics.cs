namespace LVPrune;

/// <summary>Summary statistics of measurements (timings are reported as medians).</summary>
public static class Statistics
{
    /// <summary>The median (the mean of the two middle values for an even count; NaN for none).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
