using System.Text.Json;
using LVPrune.Distributed;
using LVPrune.Generation;
using LVPrune.Pruning;

namespace LVPrune.Benchmarks;

/// <summary>What a benchmark run over several processes did: every process's run summed, and the merged file's configuration.</summary>
/// <param name="Questions">questions of the whole benchmark</param>
/// <param name="Skipped">answers the processes' shard files already held (resumed)</param>
/// <param name="Seconds">the slowest process's answering time</param>
/// <param name="Repaired">processes whose shard file had a torn last line</param>
public sealed record DistributedBenchmarkResult(int Questions, int Skipped, double Seconds, int Repaired, RunConfig Config);

/// <summary>
/// `mpirun -np N lvprune eval --benchmark`: process I answers shard I/N (<see cref="ShardSpec"/>, LLaVA's
/// chunks) into its own file next to the answer file (<see cref="ShardPath"/>, on a file system every
/// process sees), through <see cref="BenchmarkJob.AnswerShard"/>; then rank 0 joins the shard files into
/// the one answer file with <see cref="AnswerMerge.Merge"/> (the same bytes a single process writes but
/// answer ids and measured times) and removes them. A stopped job resumes each shard file when started
/// again with the same N.
/// </summary>
public static class DistributedBenchmarkJob
{
    /// <summary>The file process <paramref name="shard"/>.Index writes before the merge.</summary>
    public static string ShardPath(string answersPath, ShardSpec shard) => $"{answersPath}.shard-{shard.Index}-of-{shard.Count}";

    /// <summary>This process's shard of a job of <paramref name="group"/>.Size processes.</summary>
    public static ShardSpec ShardOf(IProcessGroup group) => new(group.Rank, group.Size);

    /// <summary>
    /// Answers this process's shard (<paramref name="plan"/> must be prepared for <see cref="ShardOf"/>) and,
    /// on rank 0, merges every shard into <paramref name="answersPath"/>; null on the other ranks. Every
    /// process of <paramref name="group"/> calls it with the same arguments.
    /// </summary>
    public static DistributedBenchmarkResult? Run(IProcessGroup group, LlavaPipeline pipeline, string modelDir, bool templateGiven, PruningSpec spec,
                                                  BenchmarkPlan plan, string answersPath, int batchSize, Action<string>? log = null,
                                                  Action<EvalProgress>? progress = null)
    {
        if (plan.Shard != ShardOf(group))
            throw new ArgumentException($"the plan is shard {plan.Shard}, not {ShardOf(group)} of this job", nameof(plan));
        if (File.Exists(answersPath) && new FileInfo(answersPath).Length > 0)
            throw new LVPruneException($"{answersPath} already holds answers; under mpirun each process answers into {ShardPath(answersPath, ShardOf(group))} " +
                                       "and rank 0 writes the merged file: give a new --answers file, or resume this one without mpirun");
        string mine = ShardPath(answersPath, ShardOf(group));
        var (summary, config) = BenchmarkJob.AnswerShard(pipeline, modelDir, templateGiven, spec, plan, mine, batchSize,
                                                         group.IsRoot ? log : null, group.IsRoot ? progress : null);
        // Gathering the summaries is also the point where every shard file is complete.
        var parts = group.Gather(JsonSerializer.SerializeToUtf8Bytes(summary));
        if (parts is null) return null;
        var all = parts.Select(p => JsonSerializer.Deserialize<EvalRunSummary>(p)!).ToList();
        var shards = Enumerable.Range(0, group.Size).Select(i => ShardPath(answersPath, new ShardSpec(i, group.Size))).ToList();
        AnswerMerge.Merge(shards, answersPath);
        foreach (var s in shards) File.Delete(s);
        var merged = RunConfig.FromAnswers(answersPath) ?? config;
        return new DistributedBenchmarkResult(plan.All.Count, all.Sum(a => a.Skipped), all.Max(a => a.Seconds), all.Count(a => a.Repaired),
                                              merged with { Tflops = config.Tflops });
    }
}
