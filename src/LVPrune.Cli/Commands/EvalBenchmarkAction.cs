using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using LVPrune.Benchmarks;

namespace LVPrune.Cli.Commands;

/// <summary>
/// `lvprune eval --benchmark NAME --questions FILE --images DIR --answers OUT.jsonl [--annotations PATH]
/// [--shard I/N] [--batch-size B] [--json]`: answers a benchmark's own question file the way LLaVA-1.5's
/// scripts do, appending LLaVA-format answer lines (resuming a stopped run), then scores the file when
/// --annotations is given.
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
        var benchmark = Benchmarks.Benchmark.Parse(r.GetValue(Benchmark)!);
        string questions = r.GetValue(Questions) ?? throw new LVPruneException("eval --benchmark needs --questions FILE");
        string answers = r.GetValue(Answers) ?? throw new LVPruneException("eval --benchmark needs --answers OUT.jsonl");
        var shard = r.GetValue(Shard) is { } s ? ShardSpec.Parse(s) : ShardSpec.Whole;
        string? annotations = r.GetValue(Annotations);
        if (annotations is not null && !File.Exists(annotations) && !Directory.Exists(annotations))
            throw new LVPruneException($"--annotations {annotations}: not found");
        if (annotations is not null && benchmark.Id is BenchmarkId.LlavaBench or BenchmarkId.MmVet)
            throw new LVPruneException($"--annotations: {benchmark.Title} is graded by an LLM judge; score its review file with `lvprune score` (llava-bench) or export it (mmvet)");
        var plan = BenchmarkPlan.Prepare(benchmark, questions, r.GetValue(Images), shard);
        var spec = pruning.Spec(r, models.Dir(r)); // flag errors before the model loads

        using var pipeline = models.Load(r);
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
        var run = new JsonObject
        {
            ["benchmark"] = benchmark.Name, ["answers"] = answers, ["questions"] = plan.Questions.Count, ["skipped"] = summary.Skipped,
            ["seconds"] = summary.Seconds, ["config"] = config.ToJson(),
        };
        if (json) CliIO.Out.WriteLine(run.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        else CliIO.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{plan.Questions.Count - summary.Skipped} questions answered in {summary.Seconds:F1}s -> {answers}"));
        return 0;
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
