namespace LVPrune.Training;

/// <summary>
/// Linear warm-up from 0 to the peak over the first warm-up steps, then cosine decay to 0 at the
/// last step (transformers' get_cosine_schedule_with_warmup, which LLaVA's training uses).
/// </summary>
public sealed record LrSchedule(double PeakLr, long TotalSteps, double WarmupRatio)
{
    public long WarmupSteps => (long)Math.Ceiling(WarmupRatio * TotalSteps);

    /// <summary>Learning rate for the update made at 0-based step <paramref name="step"/>.</summary>
    public double At(long step)
    {
        long warm = WarmupSteps;
        if (step < warm) return PeakLr * (step + 1) / Math.Max(1, warm);
        double progress = (double)(step - warm) / Math.Max(1, TotalSteps - warm);
        return PeakLr * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress)));
    }
}
