using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using LVPrune.Benchmarks;
using LVPrune.Distributed;

namespace LVPrune.Cli.Commands;

/// <summary>
/// `lvprune eval --benchmark NAME --questions FILE --images DIR --answers OUT.jsonl [--annotations PATH]
/// [--shard I/N] [--batch-size B] [--json]`: answers a benchmark's own question file the way LLaVA-1.5's
/// scripts do, appending LLaVA-format answer lines (resuming a stopped run), then scores the file when
/// --annotations is given. Under `mpirun -np N` process I answers shard I/N and rank 0 merges the shards
/// into the one answer file, then scores it (<see cref="DistributedBenchmarkJob"/>).
/// </summary>
public sealed class EvalBenchmarkAction
{
    public Option<string> Benchmark { get; } = new Option<string>("--benchmark") { Description = "one of " + string.Join(", ", Benchmarks.Benchmark.Names) + "; asked with LLaVA-1.5's evaluation template (llava-v1) unless the model's prompt_config.json or --template says otherwise" }
        .AcceptOnlyFromAmong([.. Benchmarks.Benchmark.Names]);
    public Option<string> Questions { get; } = new("--questions") { Description = "the benchmark's question file for LLaVA (jsonl; ScienceQA: llava_test_CQM-A.json; MMBench: the TSV)" };
    public Option<string> Images { get; } = new("--images") { Description = "folder the question file's image names are relative to (not for MMBench)" };
    public Option<string> Answers { get; } = new("--answers") { Description = "answer file (LLaVA's jsonl format), appended line by line; a stopped run resumes" };
    public Option<string> Annotations { get; } = new("--annotations") { Description = "ground truth to score the answers with at the end (as `score --annotations`)" };
    public Option<string> Shard { get; } = new("--shard") { Description = "I/N: answer only the I-th (from 0) of N contiguous slices, as LLaVA's --chunk-idx / --num-chunks" };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Benchmark, Questions, Images, Answers, Annotations, Shard }) cmd.Options.Add(o);
    }

    public int Run(ParseResult r, ModelOptions models, PruningOptions pruning, int batchSize, bool json)
    {
        var group = ProcessGroup.World;
        return ProcessGroup.RunOrAbort(group, () => Run(r, models, pruning, batchSize, json, group), CliIO.Err, CliApp.ExitCode);
    }

    private int Run(ParseResult r, ModelOptions models, PruningOptions pruning, int batchSize, bool json, IProcessGroup group)
    {
        var benchmark = Benchmarks.Benchmark.Parse(r.GetValue(Benchmark)!);
        string questions = r.GetValue(Questions) ?? throw new LVPruneException("eval --benchmark needs --questions FILE");
        string answers = r.GetValue(Answers) ?? throw new LVPruneException("eval --benchmark needs --answers OUT.jsonl");
        if (group.Size > 1 && r.GetValue(Shard) is { } given)
            throw new LVPruneException($"--shard {given}: under mpirun each process answers the shard of its rank (rank I of N: I/N); leave --shard out");
        var shard = group.Size > 1 ? DistributedBenchmarkJob.ShardOf(group) : r.GetValue(Shard) is { } s ? ShardSpec.Parse(s) : ShardSpec.Whole;
        string? annotations = r.GetValue(Annotations);
        if (annotations is not null && !File.Exists(annotations) && !Directory.Exists(annotations))
            throw new LVPruneException($"--annotations {annotations}: not found");
        if (annotations is not null && benchmark.Id is BenchmarkId.LlavaBench or BenchmarkId.MmVet)
            throw new LVPruneException($"--annotations: {benchmark.Title} is graded by an LLM judge; score its review file with `lvprune score` (llava-bench) or export it (mmvet)");
        var plan = BenchmarkPlan.Prepare(benchmark, questions, r.GetValue(Images), shard);
        var spec = pruning.Spec(r, models.Dir(r)); // flag errors before the model loads

        using var pipeline = models.Load(r);
        if (group.Size > 1) return RunAcrossProcesses(r, models, group, benchmark, spec, plan, pipeline, questions, answers, annotations, batchSize, json);
        var progress = new ProgressLine();
        var (summary, config) = BenchmarkJob.AnswerShard(pipeline, models.Dir(r), r.GetValue(models.Template) is not null, spec, plan, answers, batchSize,
                                                         CliIO.Err.WriteLine, progress.Report);
        progress.Finish();
        if (summary.Repaired) CliIO.Err.WriteLine($"{answers}: a torn last line was cut off and answered again");
        if (summary.Skipped > 0) CliIO.Err.WriteLine($"{answers}: resumed after {summary.Skipped} answered questions");

        if (annotations is not null && shard.Count == 1)
        {
            ScoreCommand.Print(BenchmarkScorer.Score(benchmark, answers, questions, annotations, config.Tflops), json);
            return 0;
        }
        if (annotations is not null) CliIO.Err.WriteLine($"shard {shard}: not scored alone; join the shards with `lvprune eval merge` and score the merged file");
        Report(benchmark, answers, plan.Questions.Count, summary.Skipped, summary.Seconds, config, json);
        return 0;
    }

    /// <summary>The job's part on every process; rank 0 reports, and scores the merged file when --annotations is given.</summary>
    private int RunAcrossProcesses(ParseResult r, ModelOptions models, IProcessGroup group, Benchmarks.Benchmark benchmark, Pruning.PruningSpec spec, BenchmarkPlan plan,
                                   Generation.LlavaPipeline pipeline, string questions, string answers, string? annotations, int batchSize, bool json)
    {
        var progress = new ProgressLine();
        var result = DistributedBenchmarkJob.Run(group, pipeline, models.Dir(r), r.GetValue(models.Template) is not null, spec, plan, answers, batchSize,
                                                 CliIO.Err.WriteLine, progress.Report);
        if (group.IsRoot) progress.Finish();
        if (result is null) return 0; // not rank 0
        CliIO.Err.WriteLine($"{group.Size} processes: shards merged into {answers}");
        if (result.Repaired > 0) CliIO.Err.WriteLine($"{result.Repaired} shard files had a torn last line, cut off and answered again");
        if (result.Skipped > 0) CliIO.Err.WriteLine($"resumed after {result.Skipped} answered questions");
        if (annotations is not null)
        {
            ScoreCommand.Print(BenchmarkScorer.Score(benchmark, answers, questions, annotations, result.Config.Tflops), json);
            return 0;
        }
        Report(benchmark, answers, result.Questions, result.Skipped, result.Seconds, result.Config, json);
        return 0;
    }

    private static void Report(Benchmarks.Benchmark benchmark, string answers, int questions, int skipped, double seconds, RunConfig config, bool json)
    {
        var run = new JsonObject
        {
            ["benchmark"] = benchmark.Name, ["answers"] = answers, ["questions"] = questions, ["skipped"] = skipped,
            ["seconds"] = seconds, ["config"] = config.ToJson(),
        };
        if (json) CliIO.Out.WriteLine(run.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        else CliIO.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{questions - skipped} questions answered in {seconds:F1}s -> {answers}"));
    }

    /// <summary>Progress on standard error with questions/s and an ETA: redrawn in place on a terminal, one line per tenth in a log.</summary>
    private sealed class ProgressLine
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private int _lastTenth = -1;

        public void Report(EvalProgress p)
        {
            int tenth = 10 * p.Done / Math.Max(1, p.Total);
            string eta = p.EtaSeconds is { } e ? TimeSpan.FromSeconds(Math.Round(e)).ToString(e >= 3600 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "?";
            string line = string.Create(CultureInfo.InvariantCulture, $"{p.Done}/{p.Total} questions, {p.QuestionsPerSecond:F2} questions/s, ETA {eta}");
            if (_terminal) CliIO.Err.Write($"\r{line}   ");
            else if (tenth != _lastTenth) CliIO.Err.WriteLine(line);
            _lastTenth = tenth;
        }

        public void Finish()
        {
            if (_terminal) CliIO.Err.WriteLine();
        }
    }
}
