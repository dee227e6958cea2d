using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using LVPrune.Checkpoints;
using LVPrune.Tests.Cli;
using LVPrune.Toy;
using static TorchSharp.torch;

namespace LVPrune.Tests.Distributed;

/// <summary>A tiny checkpoint and a ShapesVQA set for the MPI training jobs.</summary>
public sealed class DataParallelFixture : IDisposable
{
    public TinyCheckpoint Checkpoint { get; } = new(seed: 3);
    public string Data { get; }
    public string Work { get; }

    public DataParallelFixture()
    {
        string dir = Path.Combine(Checkpoint.Dir, "data");
        ShapesVqaWriter.Write(dir, count: 24, seed: 9, minObjects: 1, maxObjects: 3, imageSize: 64);
        Data = Path.Combine(dir, ShapesVqaWriter.DataFileName);
        Work = Path.Combine(Checkpoint.Dir, "work");
        Directory.CreateDirectory(Work);
    }

    public void Dispose() => Checkpoint.Dispose();
}

/// <summary>
/// `mpirun -np 2 lvprune train` against the same run in one process: the adapter's objective with every
/// term whose mean is global (label tokens: the LM and distillation losses; rows: ratio and attention
/// losses; the per-sample bound of --mask-grad-clip), gradient accumulation and Gumbel noise.
/// </summary>
[Collection(MpiJobsCollection.Name)]
public class DataParallelTrainingTests : IClassFixture<DataParallelFixture>
{
    private readonly DataParallelFixture _f;
    public DataParallelTrainingTests(DataParallelFixture f) => _f = f;

    /// <summary>Global micro-batch 4 (2 rows per process), 2 micro-batches per step, every loss term on.</summary>
    private string[] Train(string name, long steps, bool resume = false) =>
    [
        "train", "--model", _f.Checkpoint.Dir, "--data", _f.Data, "--adapter-out", Path.Combine(_f.Work, name + ".safetensors"),
        "--checkpoint-dir", Path.Combine(_f.Work, name + ".ckpt"), "--batch-size", "4", "--grad-accum", "2", "--epochs", "10",
        "--max-steps", steps.ToString(), "--lr", "1e-3", "--warmup-ratio", "0.1", "--save-every", "0", "--seed", "5", "--rho", "0.5",
        "--lambda-distill", "1", "--lambda-attn", "1", "--mask-grad-clip", "0.01", .. (resume ? new[] { "--resume" } : []),
    ];

    private string Adapter(string name) => Path.Combine(_f.Work, name + ".safetensors");
    private string CheckpointDir(string name) => Path.Combine(_f.Work, name + ".ckpt");

    private static void InProcess(string[] args)
    {
        var (code, _, stderr) = CliRunner.Run(args);
        Assert.True(code == 0, stderr);
    }

    private static void Mpi(MpiFamily family, string[] args)
    {
        var (code, _, stderr) = MpiRun.Cli(family, 2, args);
        Assert.True(code == 0, $"exit {code}\n{stderr}");
    }

    /// <summary>Largest |a - b| over every tensor of two adapter files (same keys and shapes required).</summary>
    private static double MaxDifference(string a, string b)
    {
        using var fa = SafetensorsFile.Open(a);
        using var fb = SafetensorsFile.Open(b);
        Assert.Equal(fa.Entries.Keys.Order(), fb.Entries.Keys.Order());
        double max = 0;
        foreach (var key in fa.Entries.Keys)
        {
            using var ta = fa.Read(key, ScalarType.Float64);
            using var tb = fb.Read(key, ScalarType.Float64);
            Assert.Equal(ta.shape, tb.shape);
            using var d = (ta - tb).abs().max();
            max = Math.Max(max, d.item<double>());
        }
        return max;
    }

    private static double[] Losses(string checkpointDir) =>
        File.ReadAllLines(Path.Combine(checkpointDir, "train_log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToArray();

    [MpiFact(MpiFamily.OpenMpi)]
    public void AGlobalBatchThatDoesNotDivide_IsAClearErrorNamingTheRank_AndEndsTheJob()
    {
        var (code, _, stderr) = MpiRun.Cli(MpiFamily.OpenMpi, 2, Train("odd", 20).Select(a => a == "4" ? "3" : a), timeout: TimeSpan.FromSeconds(90));
        Assert.Equal(2, code);
        Assert.Matches(@"error: rank [01] of 2 \(pid \d+ on [^)]+\): --batch-size 3 is the global batch and must divide by the 2 processes", stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        Assert.False(Directory.Exists(CheckpointDir("odd")));
    }

    [MpiFact(MpiFamily.OpenMpi)]
    public void TwoProcesses_TrainTheAdapterOneProcessTrains_AndACheckpointResumesOnEitherCount()
    {
        // 20 steps: 2 processes x 2 rows against 1 process x 4 rows.
        Mpi(MpiFamily.OpenMpi, Train("two", 20));
        InProcess(Train("one", 20));
        double diff = MaxDifference(Adapter("two"), Adapter("one"));
        Assert.True(diff < 1e-5, $"adapters differ by {diff:E2}");
        var (two, one) = (Losses(CheckpointDir("two")), Losses(CheckpointDir("one")));
        Assert.Equal(20, two.Length);
        for (int i = 0; i < 20; i++) Assert.True(Math.Abs(two[i] - one[i]) < 1e-5 * Math.Max(1, Math.Abs(one[i])), $"step {i + 1}: loss {two[i]} (2 processes) vs {one[i]} (1)");

        // A 2-process checkpoint at step 10 continued by 1 process, against 1 process throughout.
        Mpi(MpiFamily.OpenMpi, Train("two-then-one", 10));
        InProcess(Train("two-then-one", 20, resume: true));
        InProcess(Train("one-then-one", 10));
        InProcess(Train("one-then-one", 20, resume: true));
        diff = MaxDifference(Adapter("two-then-one"), Adapter("one-then-one"));
        Assert.True(diff < 1e-5, $"resumed adapters differ by {diff:E2}");
        Assert.Equal(20, Losses(CheckpointDir("two-then-one")).Length);
    }
}

/// <summary>kill -9 of one process in the middle of `mpirun -np 2 lvprune train`: the job ends within seconds, and the
/// launcher's error names the killed rank (each process also prints its rank and pid first, for launchers that name the pid).</summary>
[Collection(MpiJobsCollection.Name)]
public class KilledRankTests : IClassFixture<DataParallelFixture>
{
    private readonly DataParallelFixture _f;
    public KilledRankTests(DataParallelFixture f) => _f = f;

    [MpiFact(MpiFamily.OpenMpi)]
    public void AKilledRank_EndsTheJobWithinSeconds_NamingIt()
    {
        string ckpt = Path.Combine(_f.Work, "killed.ckpt");
        using var p = MpiRun.Start(MpiFamily.OpenMpi, 2,
        [
            "train", "--model", _f.Checkpoint.Dir, "--data", _f.Data, "--adapter-out", Path.Combine(_f.Work, "killed.safetensors"),
            "--checkpoint-dir", ckpt, "--batch-size", "2", "--epochs", "100", "--max-steps", "1000", "--save-every", "0",
        ]);
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        var stdout = p.StandardOutput.ReadToEndAsync();
        string Err() { lock (stderr) return stderr.ToString(); }
        try
        {
            // Mid-training: the first optimizer step is logged.
            string log = Path.Combine(ckpt, "train_log.jsonl");
            var wait = Stopwatch.StartNew();
            while (!(File.Exists(log) && new FileInfo(log).Length > 0))
            {
                Assert.False(p.HasExited, $"the job ended before training:\n{Err()}");
                Assert.True(wait.Elapsed < TimeSpan.FromMinutes(2), $"no training step within 2 minutes:\n{Err()}");
                Thread.Sleep(100);
            }
            var pid = Regex.Match(Err(), @"rank 1 of 2 \(pid (\d+)");
            Assert.True(pid.Success, Err());
            using var victim = Process.GetProcessById(int.Parse(pid.Groups[1].Value));
            var clock = Stopwatch.StartNew();
            victim.Kill(); // SIGKILL
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), $"the job still runs 30 s after rank 1 was killed:\n{Err()}");
            clock.Stop();
            p.WaitForExit();
            Assert.NotEqual(0, p.ExitCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the job took {clock.Elapsed.TotalSeconds:F1} s to end");
            Assert.Matches(@"rank 1 .*(signal 9|Killed)", Err());
            Assert.False(File.Exists(Path.Combine(_f.Work, "killed.safetensors")));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }
}
