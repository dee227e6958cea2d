using LVPrune.Benchmarks;
using LVPrune.Benchmarks.Scoring;

namespace LVPrune.Tests.Benchmarks;

/// <summary>VizWiz through the converter (m4c, every question answered) and the VizWiz API evaluation (GT raw), plus unanswerability.</summary>
public class VizWizScorerTests
{
    [Fact]
    public void Score_UsesRawGroundTruth_AndSklearnsAveragePrecisionAndF1()
    {
        using var f = new BenchFiles();
        var entry = (int i, string[] answers, int answerable) => new
        {
            image = $"VizWiz_val_{i:D8}.jpg", question = "q", answers = answers.Select(a => new { answer = a, answer_confidence = "yes" }), answer_type = "other", answerable,
        };
        string[] Rep(string a, int n) => Enumerable.Repeat(a, n).ToArray();
        string annotations = f.Json("val.json", new[]
        {
            entry(0, Rep("Yes", 10), 1),                                   // GT never normalised: "yes" cannot match "Yes"
            entry(1, Rep("unanswerable", 10), 0),
            entry(2, [.. Rep("don't", 4), .. Rep("no", 6)], 1),             // m4c turns "dont" into "don't" before the VizWiz table could
            entry(3, Rep("black/white", 10), 1),                            // "/" becomes a space in the prediction only
            entry(4, [.. Rep("unanswerable", 6), .. Rep("cat", 4)], 0),
        });
        string suffix = "\nWhen the provided information is insufficient, respond with 'Unanswerable'.\nAnswer the question using a single word or phrase.";
        string questions = f.Lines("llava_val.jsonl", Enumerable.Range(0, 5).Select(i => (object)new { question_id = i, image = $"VizWiz_val_{i:D8}.jpg", text = "q" + suffix, category = "default" }).ToArray());
        string answers = f.Lines("answers.jsonl", BenchFiles.Answer(0, "yes"), BenchFiles.Answer(1, "Unanswerable."), BenchFiles.Answer(2, "dont"),
                                 BenchFiles.Answer(3, "black/white"), BenchFiles.Answer(4, "cat"));
        var r = BenchmarkScorer.Score(Benchmark.Parse("vizwiz"), answers, questions, annotations);
        Assert.Equal(0.6, r.Accuracy, 12);
        // truth (unanswerable) [0,1,0,0,1], predicted [0,1,0,0,0]: at score 1 P=1, R=1/2; at 0 P=2/5, R=1 -> AP 0.5*1 + 0.5*0.4
        Assert.Equal(0.7, r.Extra["unanswerable"]!["average_precision"]!.GetValue<double>(), 12);
        Assert.Equal(2.0 / 3, r.Extra["unanswerable"]!["f1"]!.GetValue<double>(), 12);
        var missing = f.Lines("missing.jsonl", BenchFiles.Answer(0, "yes"));
        Assert.Contains("question 1", Assert.Throws<LVPruneException>(() => BenchmarkScorer.Score(Benchmark.Parse("vizwiz"), missing, questions, annotations)).Message);
    }

    [Fact]
    public void AveragePrecision_MatchesSklearnOnEdgeCases()
    {
        Assert.Equal(0.0, VizWizScorer.AveragePrecision([0, 0], [1, 0]));          // no positive label: recall set to 1 -> 0
        Assert.Equal(0.5, VizWizScorer.AveragePrecision([1, 0], [0, 0]), 12);     // one threshold: the positive rate
        Assert.Equal(1.0, VizWizScorer.AveragePrecision([1, 0, 1], [1, 0, 1]), 12);
        Assert.Equal(0.0, VizWizScorer.F1([0, 0], [0, 0]));                       // 0/0 -> 0
    }
}
