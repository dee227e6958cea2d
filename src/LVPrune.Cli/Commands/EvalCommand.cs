using System.CommandLine;
using LVPrune.Distributed;
using LVPrune.Evaluation;
using LVPrune.Flops;
using LVPrune.Pruning;

namespace LVPrune.Cli.Commands;

/// <summary>
/// `lvprune eval`: accuracy overall and per family, POPE metrics, on a conversation-format file (--data);
/// or, with --benchmark, one of the paper's benchmarks from its own files (see <see cref="EvalBenchmarkAction"/>).
/// `eval merge` joins shard answer files.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var pruning = new PruningOptions();
        var data = new Option<string>("--data") { Description = "LLaVA conversation JSON with images (e.g. from toy-data)" };
        var limit = CommonOptions.Limit("evaluate only the first N questions (--data)");
        var batch = new Option<int>("--batch-size") { Description = "questions answered together (only speed changes)", DefaultValueFactory = _ => 16 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "answer length limit (--data)", DefaultValueFactory = _ => 16 };
        var suffix = new Option<string>("--suffix") { Description = "text appended to each question (--data), e.g. \"Answer the question using a single word or phrase.\"" };
        var predictions = new Option<string>("--predictions") { Description = "write per-item predictions to this JSONL file (--data)" };
        var json = CommonOptions.Json();
        var bench = new EvalBenchmarkAction();
        var cmd = new Command("eval", "Evaluate a model (default: the bundled toy model) on a VQA-style data set (--data) or on one of the paper's benchmarks (--benchmark).")
        {
            data, limit, batch, maxNew, suffix, predictions, json,
        };
        bench.AddTo(cmd);
        models.AddTo(cmd);
        pruning.AddTo(cmd);
        cmd.Subcommands.Add(EvalMergeCommand.Create());
        cmd.SetAction(r =>
        {
            if ((r.GetValue(data) is null) == (r.GetValue(bench.Benchmark) is null))
                throw new LVPruneException("give --data FILE (a conversation-format data set) or --benchmark NAME with --questions, --images and --answers");
            if (r.GetValue(bench.Benchmark) is not null) return bench.Run(r, models, pruning, r.GetValue(batch), r.GetValue(json));
            if (MpiLaunch.Detect() is not null)
                throw new LVPruneException("eval --data runs in one process; under mpirun, eval --benchmark splits a benchmark's questions over the processes");
            var spec = pruning.Spec(r, models.Dir(r));
            var items = EvalItem.Load(r.GetValue(data)!, r.GetValue(limit));
            using var pipeline = models.Load(r);
            using var selector = SelectorFactory.Create(spec, pipeline.Model);
            // Redrawn in place on a terminal; in a log, one line per tenth of the questions.
            bool terminal = !Console.IsErrorRedirected;
            int lastTenth = -1;
            var run = EvalRunner.Run(pipeline, items, selector, r.GetValue(batch), r.GetValue(maxNew), r.GetValue(suffix), (done, total) =>
            {
                int tenth = 10 * done / Math.Max(1, total);
                if (terminal) CliIO.Err.Write($"\r{done}/{total} questions");
                else if (tenth != lastTenth) CliIO.Err.WriteLine($"{done}/{total} questions");
                lastTenth = tenth;
            });
            if (terminal) CliIO.Err.WriteLine();
            if (r.GetValue(predictions) is { } path) EvalRunner.WritePredictions(path, run.Predictions);
            if (r.GetValue(json)) { CliIO.Out.WriteLine(run.Report.ToJson()); return 0; }
            var rep = run.Report;
            CliIO.Out.WriteLine($"accuracy {100 * rep.Accuracy:F2}% on {rep.Count} questions ({spec.MethodName}), " +
                                  $"{run.Seconds:F1}s");
            CliIO.Out.WriteLine($"time to first token (vision + prefill): {1000 * run.TtftSecondsPerBatch:F1} ms per batch ({run.Batches} batches of up to {r.GetValue(batch)}), " +
                                  $"{1000 * run.TtftSecondsPerQuestion:F1} ms per question");
            foreach (var (family, acc) in rep.Families) CliIO.Out.WriteLine($"  {family,-10} {100 * acc:F2}%");
            if (rep.Pope is { } p)
                CliIO.Out.WriteLine($"  POPE       precision {100 * p.Precision:F2}  recall {100 * p.Recall:F2}  F1 {100 * p.F1:F2}  yes-ratio {100 * p.YesRatio:F2}");
            return 0;
        });
        return cmd;
    }
}
