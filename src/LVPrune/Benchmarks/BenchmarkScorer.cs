using LVPrune.Benchmarks.Scoring;

namespace LVPrune.Benchmarks;

/// <summary>
/// Scores an answer file of any source (ours, LLaVA's, another tool's) with the benchmark's official
/// semantics: the one entry point behind `lvprune score` and `eval --annotations`.
/// </summary>
public static class BenchmarkScorer
{
    /// <param name="answers">The answer jsonl (for llava-bench: the judge's review jsonl).</param>
    /// <param name="questions">The question file, where the benchmark needs it (vizwiz, pope; optional for vqav2).</param>
    /// <param name="annotations">The ground truth (a file, or a folder for sqa and pope).</param>
    /// <param name="tflops">The run's cost when the caller knows it (the answer file does not record it).</param>
    /// <returns>The score, with "config" (model, method, keep ratios, means) when the answer file is one of our runs.</returns>
    public static ScoreReport Score(Benchmark benchmark, string answers, string? questions, string? annotations, double? tflops = null)
    {
        var report = Official(benchmark, answers, questions, annotations);
        if (benchmark.Id != BenchmarkId.LlavaBench && RunConfig.FromAnswers(answers) is { } config) // a review file records no run
            report.Extra["config"] = (config with { Tflops = tflops }).ToJson();
        return report;
    }

    private static ScoreReport Official(Benchmark benchmark, string answers, string? questions, string? annotations)
    {
        string Need(string? value, string flag, string what) =>
            value ?? throw new LVPruneException($"score --benchmark {benchmark.Name} needs {flag} {what}");
        return benchmark.Id switch
        {
            BenchmarkId.VqaV2 => VqaV2Scorer.Score(answers, Need(annotations, "--annotations", "v2_mscoco_val2014_annotations.json"), questions),
            BenchmarkId.Gqa => GqaScorer.Score(answers, Need(annotations, "--annotations", "testdev_balanced_questions.json")),
            BenchmarkId.VizWiz => VizWizScorer.Score(answers, Need(annotations, "--annotations", "Annotations/val.json"),
                                                     Need(questions, "--questions", "(LLaVA's VizWiz question jsonl, for the image names)")),
            BenchmarkId.TextVqa => TextVqaScorer.Score(answers, Need(annotations, "--annotations", "TextVQA_0.5.1_val.json")),
            BenchmarkId.Sqa => ScienceQaScorer.Score(answers, Need(annotations, "--annotations", "(the folder holding problems.json and pid_splits.json)")),
            BenchmarkId.Pope => PopeScorer.Score(answers, Need(annotations, "--annotations", "(the folder holding coco_pope_*.json)"),
                                                 Need(questions, "--questions", "llava_pope_test.jsonl (for each question's split)")),
            BenchmarkId.Mmbench or BenchmarkId.MmbenchCn => MmbenchScorer.Score(benchmark, answers, Need(annotations, "--annotations", "(the dev TSV)")),
            BenchmarkId.LlavaBench => LlavaBenchScorer.Score(answers),
            BenchmarkId.MmVet => throw new LVPruneException(
                "MM-Vet is graded by its LLM judge (MM-Vet's evaluator with gpt-4-0613); run `lvprune export --benchmark mmvet` and give the JSON to that evaluator"),
            _ => throw new ArgumentOutOfRangeException(nameof(benchmark)),
        };
    }
}
