using System.Globalization;
using LVPrune.Training;

namespace LVPrune.Cli;

/// <summary>A one-line progress bar on standard error (loss, learning rate, samples/s, ETA, keep rates);
/// redrawn in place on a terminal, one line every 10 steps otherwise.</summary>
/// <param name="lineMode">lines even on a terminal (under mpirun, whose pseudo-terminal may end in a file)</param>
public sealed class TrainProgress(bool lineMode = false)
{
    private readonly bool _terminal = !lineMode && !Console.IsErrorRedirected;
    private bool _drawn;

    public void Report(TrainStepLog e)
    {
        if (!_terminal && e.Step % 10 != 0 && e.Step != e.TotalSteps && e.Step != 1) return;
        int width = 24;
        int filled = (int)(width * e.Step / Math.Max(1, e.TotalSteps));
        var inv = CultureInfo.InvariantCulture;
        var extra = string.Join(" ", e.Metrics.Where(kv => kv.Key.StartsWith("keep_", StringComparison.Ordinal))
            .Select(kv => string.Create(inv, $"{kv.Key}={kv.Value:F2}/{e.Metrics.GetValueOrDefault("target_" + kv.Key[5..]):F2}")));
        var parts = string.Join(" ", e.Metrics.Where(kv => kv.Key.EndsWith("_loss", StringComparison.Ordinal)).Select(kv => string.Create(inv, $"{kv.Key}={kv.Value:F4}")));
        string line = string.Create(inv,
            $"[{new string('#', filled)}{new string('.', width - filled)}] {e.Step}/{e.TotalSteps} loss {e.Loss:F4} {parts} lr {e.LearningRate:E2} {e.SamplesPerSecond:F1} samples/s ETA {TimeSpan.FromSeconds(Math.Round(e.EtaSeconds)):g} {extra}");
        if (_terminal) { CliIO.Err.Write("\r" + line.PadRight(Math.Min(200, Console.WindowWidth > 0 ? Console.WindowWidth - 1 : 120))); _drawn = true; }
        else CliIO.Err.WriteLine(line);
    }

    public void Done()
    {
        if (_drawn) CliIO.Err.WriteLine();
    }
}
