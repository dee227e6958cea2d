using System.CommandLine;
using System.Globalization;
using LVPrune.Distributed;

namespace LVPrune.Cli.Commands;

/// <summary>
/// `lvprune mpi-check`, run as `mpirun -np N ./lvprune mpi-check`: which MPI library every rank
/// loaded, whether all-reduce, broadcast and gather give the closed-form answers, and all-reduce speed
/// from 1 MB up to --max-mb (ProcessGroupCheck). Rank 0 prints; exit 0 when every check holds.
/// </summary>
public static class MpiCheckCommand
{
    public static Command Create()
    {
        var maxMb = new Option<int>("--max-mb") { Description = "largest all-reduce buffer to time, in MB (1, 4, 16, ...; 0 = no timing)", DefaultValueFactory = _ => 64 };
        var repeat = new Option<int>("--repeat") { Description = "timed all-reduces per size (the median is reported)", DefaultValueFactory = _ => 5 };
        var json = CommonOptions.Json();
        var cmd = new Command("mpi-check", "Check the MPI setup under mpirun/srun (closed-form all-reduce, broadcast, gather) and time all-reduce.")
        {
            maxMb, repeat, json,
        };
        cmd.SetAction(r =>
        {
            if (r.GetValue(maxMb) < 0) throw new LVPruneException($"--max-mb must be >= 0, got {r.GetValue(maxMb)}");
            if (r.GetValue(repeat) < 1) throw new LVPruneException($"--repeat must be >= 1, got {r.GetValue(repeat)}");
            var group = ProcessGroup.World;
            return ProcessGroup.RunOrAbort(group, () =>
            {
                var report = ProcessGroupCheck.Run(group, r.GetValue(maxMb) * (1L << 20), r.GetValue(repeat));
                if (report is null) return 0;
                if (r.GetValue(json)) CliIO.Out.WriteLine(report.ToJson());
                else Print(report);
                if (!report.Ok) CliIO.Err.WriteLine("error: a collective gave a wrong result (see above)");
                return report.Ok ? 0 : 1;
            }, CliIO.Err, CliApp.ExitCode);
        });
        return cmd;
    }

    private static void Print(ProcessGroupReport report)
    {
        var o = CliIO.Out;
        o.WriteLine($"{report.Size} process(es): {report.Library}");
        foreach (var rank in report.Ranks)
            o.WriteLine($"  rank {rank.Rank}: pid {rank.Pid} on {rank.Host}  all-reduce float {Ok(rank.AllReduceExact)}, double {Ok(rank.AllReduceDoubleExact)}, broadcast {Ok(rank.BroadcastExact)}");
        if (report.AllReduce.Count > 0) o.WriteLine("all-reduce (sum, float32, in place): size, median time, algorithm bandwidth, bus bandwidth 2(N-1)/N x size / time");
        foreach (var s in report.AllReduce)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {s.Bytes / (double)(1 << 20),8:F0} MB  {s.Seconds * 1e3,9:F2} ms  {s.AlgorithmGbs,7:F2} GB/s  {s.BusGbs,7:F2} GB/s"));
    }

    private static string Ok(bool ok) => ok ? "ok" : "WRONG";
}
