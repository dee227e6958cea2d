using System.Globalization;
using LVPrune.Generation;
using LVPrune.Pruning;
using LVPrune.Text;

namespace LVPrune.Benchmarks;

/// <summary>What a shard's run did, and the configuration it ran (a score file's "config").</summary>
public sealed record BenchmarkShardResult(EvalRunSummary Summary, RunConfig Config);

/// <summary>
/// The library entry point behind `eval --benchmark`: a loaded model answers one shard of a benchmark
/// under a pruning spec. Several processes (an MPI job: shard = rank / size) each call
/// <see cref="AnswerShard"/> on their own answer file; then one joins the files with
/// <see cref="AnswerMerge.Merge"/> and scores the result with <see cref="BenchmarkScorer.Score"/>,
/// passing the TFLOPs one of the shards reported.
/// </summary>
public static class BenchmarkJob
{
    /// <summary>
    /// Answers <paramref name="plan"/>'s questions greedily as LLaVA-1.5's scripts ask them, appending to
    /// <paramref name="answersPath"/> (a stopped run resumes after the lines already there). The selector is
    /// built here, once, by <see cref="SelectorFactory"/>; LLaVA-1.5's evaluation template is used unless
    /// the model folder's prompt_config.json or <paramref name="templateGiven"/> says otherwise.
    /// </summary>
    /// <param name="log">one line describing the run, before the first answer</param>
    /// <param name="progress">called after every batch</param>
    public static BenchmarkShardResult AnswerShard(LlavaPipeline pipeline, string modelDir, bool templateGiven, PruningSpec spec, BenchmarkPlan plan,
                                                   string answersPath, int batchSize, Action<string>? log = null, Action<EvalProgress>? progress = null)
    {
        BenchmarkRunner.UseEvaluationTemplate(pipeline, modelDir, templateGiven);
        using var selector = SelectorFactory.Create(spec, pipeline.Model);
        var runner = new BenchmarkRunner(pipeline, selector, plan);
        var keep = runner.KeepRatios;
        string modelId = AnswerRecord.ModelId(modelDir);
        var benchmark = plan.Benchmark;
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{benchmark.Title}: {plan.Questions.Count} questions{(plan.Shard.Count > 1 ? $" (shard {plan.Shard} of {plan.All.Count})" : "")}, {spec.MethodName}" +
            $"{(keep is null ? "" : $" keep [{string.Join(", ", keep.Select(k => k.ToString("0.###", CultureInfo.InvariantCulture)))}]")}, " +
            $"max_new_tokens {benchmark.MaxNewTokens}, template {Prompts.Name(pipeline.Template)}"));

        var summary = BenchmarkEvaluation.Run(plan, answersPath, modelId, spec.MethodName, keep, batchSize, runner.Answer, progress);
        // Means over the whole answer file (a resumed run's earlier lines included); the cost from the selector.
        var recorded = RunConfig.FromAnswers(answersPath) ?? new RunConfig(modelId, spec.MethodName, keep, null, summary.MeanTtftSeconds, null);
        return new BenchmarkShardResult(summary, recorded with { Tflops = runner.Tflops() });
    }
}
