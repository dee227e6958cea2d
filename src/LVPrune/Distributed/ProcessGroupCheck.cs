using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LVPrune.Distributed;

/// <summary>One process's part of <see cref="ProcessGroupCheck"/>.</summary>
/// <param name="AllReduceHead">the first elements of the reduced float buffer (x_r[i] = r + 1 + i mod 1000 on rank r)</param>
/// <param name="AllReduceExact">whether every element equals N(N+1)/2 + N (i mod 1000), exactly</param>
/// <param name="AllReduceDoubleExact">the same for a double buffer (y_r[i] = r / 2 + i: N(N-1)/4 + N i)</param>
/// <param name="BroadcastExact">whether every byte of rank 0's broadcast arrived</param>
public sealed record RankCheck(
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("library")] string Library,
    [property: JsonPropertyName("allreduce_head")] float[] AllReduceHead,
    [property: JsonPropertyName("allreduce_exact")] bool AllReduceExact,
    [property: JsonPropertyName("allreduce_double_exact")] bool AllReduceDoubleExact,
    [property: JsonPropertyName("broadcast_exact")] bool BroadcastExact);

/// <summary>All-reduce speed at one buffer size: median seconds, algorithm bandwidth (bytes / s) and bus
/// bandwidth (the ring all-reduce's 2(N-1)/N x bytes / s, what each link carries; NCCL's convention).</summary>
public sealed record AllReduceSpeed(
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("algbw_gb_s")] double AlgorithmGbs,
    [property: JsonPropertyName("busbw_gb_s")] double BusGbs);

/// <summary>What <see cref="ProcessGroupCheck.Run"/> found, on rank 0.</summary>
public sealed record ProcessGroupReport(
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("library")] string Library,
    [property: JsonPropertyName("ranks")] IReadOnlyList<RankCheck> Ranks,
    [property: JsonPropertyName("allreduce")] IReadOnlyList<AllReduceSpeed> AllReduce)
{
    /// <summary>Every rank's every check held.</summary>
    [JsonPropertyName("ok")] public bool Ok => Ranks.Count == Size && Ranks.All(r => r.AllReduceExact && r.AllReduceDoubleExact && r.BroadcastExact);

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>
/// Checks a job's collectives against closed forms (every rank contributes a known buffer; each checks
/// the sum) and measures all-reduce speed from 1 MB up to a size, for `lvprune mpi-check`: is this MPI
/// setup working, and how fast does it reduce gradients.
/// </summary>
public static class ProcessGroupCheck
{
    /// <summary>Elements of the checked buffers: odd, and not a multiple of any chunk or vector size.</summary>
    public const int CheckLength = 1_000_003;

    /// <summary>Runs the checks and the timings on every rank; the report on rank 0, null elsewhere.</summary>
    /// <param name="maxBytes">largest timed buffer (1 MB, 4 MB, ... up to it); 0 = no timing</param>
    public static ProcessGroupReport? Run(IProcessGroup group, long maxBytes, int repeat)
    {
        int n = group.Size, r = group.Rank;
        var x = new float[CheckLength];
        for (int i = 0; i < x.Length; i++) x[i] = r + 1 + i % 1000;
        group.AllReduceSum(x);
        bool exact = true;
        for (int i = 0; i < x.Length && exact; i++) exact = x[i] == n * (n + 1) / 2 + n * (i % 1000);

        var y = new double[CheckLength];
        for (int i = 0; i < y.Length; i++) y[i] = r * 0.5 + i;
        group.AllReduceSum(y);
        bool exactDouble = true;
        for (int i = 0; i < y.Length && exactDouble; i++) exactDouble = y[i] == n * (n - 1) / 4.0 + (double)n * i;

        var b = new byte[CheckLength];
        if (group.IsRoot) for (int i = 0; i < b.Length; i++) b[i] = (byte)(i * 7 + 3);
        group.Broadcast(b);
        bool broadcast = true;
        for (int i = 0; i < b.Length && broadcast; i++) broadcast = b[i] == (byte)(i * 7 + 3);

        var mine = new RankCheck(r, n, Environment.ProcessId, Environment.MachineName, group.Library, x[..8], exact, exactDouble, broadcast);
        var all = group.Gather(JsonSerializer.SerializeToUtf8Bytes(mine));
        var speeds = Speeds(group, maxBytes, repeat);
        return all is null ? null : new ProcessGroupReport(n, group.Library, all.Select(m => JsonSerializer.Deserialize<RankCheck>(m)!).ToList(), speeds);
    }

    private static List<AllReduceSpeed> Speeds(IProcessGroup group, long maxBytes, int repeat)
    {
        var speeds = new List<AllReduceSpeed>();
        if (group.Size == 1) return speeds; // nothing to time
        for (long bytes = 1 << 20; bytes <= maxBytes; bytes *= 4)
        {
            var buffer = new float[bytes / sizeof(float)];
            group.AllReduceSum(buffer); // warm-up: first touch of the pages, connection set-up
            var seconds = new List<double>();
            for (int k = 0; k < repeat; k++)
            {
                group.Barrier();
                var sw = Stopwatch.StartNew();
                group.AllReduceSum(buffer);
                seconds.Add(sw.Elapsed.TotalSeconds);
            }
            // The job is as fast as its slowest rank: rank 0 reports the largest of the ranks' medians.
            var medians = group.Gather(BitConverter.GetBytes(Statistics.Median(seconds)));
            if (medians is null) continue;
            double s = medians.Max(m => BitConverter.ToDouble(m));
            int n = group.Size;
            speeds.Add(new AllReduceSpeed(bytes, s, bytes / s / 1e9, 2.0 * (n - 1) / n * bytes / s / 1e9));
        }
        return speeds;
    }
}
