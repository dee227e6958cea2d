using System.Diagnostics;

namespace LVPrune.Benchmarking;

/// <summary>Resident memory of this process (Linux: /proc/self/status VmRSS / VmHWM; elsewhere the working set).</summary>
public static class ProcessMemory
{
    public static double CurrentGb => Read("VmRSS:") ?? Process.GetCurrentProcess().WorkingSet64 / 1e9;

    /// <summary>Peak resident memory since the process started (the high-water mark).</summary>
    public static double PeakGb => Read("VmHWM:") ?? Process.GetCurrentProcess().PeakWorkingSet64 / 1e9;

    /// <summary>Restarts the high-water mark (Linux: "5" to /proc/self/clear_refs), so a peak measures
    /// one phase (inference) rather than everything before it (building and filling the model).</summary>
    public static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static double? Read(string field)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024 / 1e9; // kB
        return null;
    }
}
