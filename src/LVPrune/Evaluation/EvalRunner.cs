using System.Diagnostics;
using System.Text.Json;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;

namespace LVPrune.Evaluation;

/// <summary>One scored prediction (a line of --predictions OUT.jsonl).</summary>
public sealed record Prediction(string Id, string Family, string Question, string Prediction_, IReadOnlyList<string> Answers, double Score, string? PopeSplit);

/// <summary>Evaluation results with the cost it ran at.</summary>
/// <param name="PrefillSeconds">time to first token (vision tower + prefill) summed over the batches</param>
/// <param name="Batches">batches answered (the last may hold fewer than the batch size)</param>
public sealed record EvalRun(EvalReport Report, IReadOnlyList<Prediction> Predictions, double PrefillSeconds, int Batches, double Seconds)
{
    /// <summary>Mean time to first token of one batch, as measured.</summary>
    public double TtftSecondsPerBatch => Batches == 0 ? 0 : PrefillSeconds / Batches;

    /// <summary>Prefill time per question: the batches' total over the questions answered.</summary>
    public double TtftSecondsPerQuestion => Predictions.Count == 0 ? 0 : PrefillSeconds / Predictions.Count;
}

/// <summary>
/// Answers every item greedily in batches, scores them with the official VQA normalisation and
/// POPE's yes/no reading, and reports accuracy overall, per family and POPE's metrics. Time to
/// first token is measured per batch (vision tower + prefill) and summed.
/// </summary>
public static class EvalRunner
{
    public static EvalRun Run(LlavaPipeline pipeline, IReadOnlyList<EvalItem> items, ITokenSelector? selector, int batchSize = 16,
                              int maxNewTokens = 16, string? suffix = null, Action<int, int>? onProgress = null)
    {
        if (batchSize < 1) throw new LVPruneException($"--batch-size must be >= 1, got {batchSize}");
        var acc = new EvalAccumulator();
        var predictions = new List<Prediction>();
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens };
        double prefill = 0;
        int batches = 0;
        var sw = Stopwatch.StartNew();
        for (int start = 0; start < items.Count; start += batchSize)
        {
            var chunk = items.Skip(start).Take(batchSize).ToList();
            var images = chunk.Select(i => ImageIO.Load(i.ImagePath)).ToList();
            var prompts = chunk.Select(i => pipeline.PromptFor(suffix is null ? i.Question : i.Question + "\n" + suffix)).ToList();
            var answers = pipeline.Generate(images, prompts, options, selector);
            prefill += answers[0].PrefillSeconds; // one prefill serves the whole batch
            batches++;
            for (int k = 0; k < chunk.Count; k++)
            {
                var item = chunk[k];
                double score = acc.Add(item.Family, answers[k].Text, item.Answers, item.IsYesNo);
                predictions.Add(new Prediction(item.Id, item.Family, item.Question, answers[k].Text, item.Answers, score, item.PopeSplit));
            }
            onProgress?.Invoke(Math.Min(items.Count, start + batchSize), items.Count);
            NativeSafety.DrainFinalizers(); // between batches, when no native call is in flight
        }
        return new EvalRun(acc.ToReport(), predictions, prefill, batches, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Writes predictions as JSONL atomically.</summary>
    public static void WritePredictions(string path, IReadOnlyList<Prediction> predictions)
    {
        var lines = predictions.Select(p => JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = p.Id, ["family"] = p.Family, ["question"] = p.Question, ["prediction"] = p.Prediction_,
            ["answers"] = p.Answers, ["score"] = p.Score, ["pope_split"] = p.PopeSplit,
        }));
        AtomicFile.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));
    }
}
