using System.CommandLine;
using LVPrune.Benchmarks;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune score`: scores an answer file as the benchmark's official scripts do.</summary>
public static class ScoreCommand
{
    public static Command Create()
    {
        var benchmark = BenchmarkOption();
        var answers = new Option<string>("--answers") { Description = "answer jsonl (LLaVA's format; for llava-bench the judge's review jsonl)", Required = true };
        var questions = new Option<string>("--questions") { Description = "question file (vizwiz, pope; optional for vqav2)" };
        var annotations = new Option<string>("--annotations") { Description = "ground truth: a file, or the folder for sqa (problems.json, pid_splits.json) and pope (coco_pope_*.json)" };
        var json = CommonOptions.Json();
        var cmd = new Command("score", "Score an answer file exactly as the benchmark's official code does.") { benchmark, answers, questions, annotations, json };
        cmd.SetAction(r =>
        {
            var bench = Benchmark.Parse(r.GetValue(benchmark)!);
            Print(BenchmarkScorer.Score(bench, r.GetValue(answers)!, r.GetValue(questions), r.GetValue(annotations)), r.GetValue(json));
            return 0;
        });
        return cmd;
    }

    public static Option<string> BenchmarkOption() => new Option<string>("--benchmark")
    {
        Description = "one of " + string.Join(", ", Benchmark.Names), Required = true,
    }.AcceptOnlyFromAmong([.. Benchmark.Names]);

    /// <summary>Warnings to standard error; the JSON alone, or the official script's lines, to standard output.</summary>
    public static void Print(ScoreReport report, bool json)
    {
        foreach (string w in report.Warnings) CliIO.Err.WriteLine($"warning: {w}");
        if (json) CliIO.Out.WriteLine(report.ToJson());
        else foreach (string line in report.Text) CliIO.Out.WriteLine(line);
    }
}
