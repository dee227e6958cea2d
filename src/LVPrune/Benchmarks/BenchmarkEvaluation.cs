using System.Diagnostics;

namespace LVPrune.Benchmarks;

/// <summary>A model's answer to one question, with what the pruning kept and how long the first token took.</summary>
public sealed record ModelAnswer(string Text, IReadOnlyList<int> KeptTokens, double TtftSeconds);

/// <summary>How far a run is: questions done of the shard's, and the rate since this start.</summary>
public sealed record EvalProgress(int Done, int Total, int Skipped, double Seconds)
{
    public double QuestionsPerSecond => Seconds > 0 ? (Done - Skipped) / Seconds : 0;
    public double? EtaSeconds => QuestionsPerSecond > 0 ? (Total - Done) / QuestionsPerSecond : null;
}

/// <summary>What a run did.</summary>
public sealed record EvalRunSummary(int Questions, int Skipped, double Seconds, double MeanTtftSeconds, bool Repaired);

/// <summary>
/// Runs a benchmark shard: skips what the answer file already holds, answers the rest in batches of
/// consecutive questions (a batch never mixes image and text-only questions) and appends each batch's
/// lines as soon as they are answered. The model is behind <c>answer</c>, so this loop (and `eval merge`,
/// and a later MPI driver) has no model code in it.
/// </summary>
public static class BenchmarkEvaluation
{
    public static EvalRunSummary Run(BenchmarkPlan plan, string answersPath, string modelId, string method, IReadOnlyList<double>? keepRatios,
                                     int batchSize, Func<IReadOnlyList<BenchmarkQuestion>, IReadOnlyList<ModelAnswer>> answer,
                                     Action<EvalProgress>? progress = null, CancellationToken cancel = default)
    {
        if (batchSize < 1) throw new LVPruneException($"--batch-size must be >= 1, got {batchSize}");
        var questions = plan.Questions;
        using var writer = AnswerFileWriter.Open(answersPath, questions, modelId, method, keepRatios);
        int skipped = writer.Answered;
        var clock = Stopwatch.StartNew();
        double ttftSum = 0;
        int answered = 0;
        progress?.Invoke(new EvalProgress(skipped, questions.Count, skipped, 0));
        for (int start = skipped; start < questions.Count;)
        {
            cancel.ThrowIfCancellationRequested();
            int end = start + 1;
            while (end < questions.Count && end - start < batchSize && questions[end].HasImage == questions[start].HasImage) end++;
            var batch = questions.Skip(start).Take(end - start).ToList();
            var answers = answer(batch);
            if (answers.Count != batch.Count) throw new InvalidOperationException($"{answers.Count} answers for {batch.Count} questions");
            writer.Append(batch.Select((q, k) => AnswerRecord.Line(q, answers[k].Text, modelId,
                new AnswerMetadata(method, keepRatios, answers[k].KeptTokens, answers[k].TtftSeconds, plan.Start + start + k))));
            ttftSum += answers.Sum(a => a.TtftSeconds);
            answered += batch.Count;
            start = end;
            progress?.Invoke(new EvalProgress(start, questions.Count, skipped, clock.Elapsed.TotalSeconds));
        }
        return new EvalRunSummary(questions.Count, skipped, clock.Elapsed.TotalSeconds, answered == 0 ? 0 : ttftSum / answered, writer.Repaired);
    }
}
