using LVPrune.Benchmarks;
using LVPrune.Benchmarks.Scoring;

namespace LVPrune.Tests.Benchmarks;

/// <summary>POPE as eval_pope.py reads answers and labels, per split, joined by question id.</summary>
public class PopeScorerTests
{
    [Theory]
    [InlineData("Yes", true)]
    [InlineData("No", false)]
    [InlineData("no", false)]
    [InlineData("NO", true)]                  // case-sensitive words: only No, not, no
    [InlineData("Nope", true)]
    [InlineData("None", true)]
    [InlineData("I don't think so", true)]
    [InlineData("There isn't.", true)]
    [InlineData("", true)]
    [InlineData("Not sure", true)]            // "Not" is none of the three words (BENCHMARKS.md says no; the code says yes)
    [InlineData("It is not there", false)]
    [InlineData("Yes, but no cat.", false)]   // the comma goes, "no" is a word of the first sentence
    [InlineData("Yes. No cat.", true)]        // only the first sentence counts
    [InlineData("No,there is", true)]         // "Nothere" after deleting the comma
    [InlineData("no\ncat", true)]             // split on single spaces only: "no\ncat" is one word
    public void IsYes_IsTheScriptsReading(string text, bool yes) => Assert.Equal(yes, PopeScorer.IsYes(text));

    [Fact]
    public void Score_PerSplitMetrics_MeanF1_JoinedById()
    {
        using var f = new BenchFiles();
        var label = (int id, string l) => new { question_id = id, image = $"{id}.jpg", text = "Is there a cat in the image?", label = l };
        f.Lines("coco/coco_pope_adversarial.json", label(1, "yes"), label(2, "no"), label(3, "yes"), label(4, "no"));
        f.Lines("coco/coco_pope_popular.json", label(1, "yes"), label(2, "No"));   // "No" is not "no": a yes label
        f.Lines("coco/coco_pope_random.json", label(1, "no"), label(2, "no"));
        var q = (long id, string split) => new { question_id = id, image = "x.jpg", text = "Is there a cat in the image?", category = split };
        string questions = f.Lines("llava_pope_test.jsonl", q(1, "adversarial"), q(2, "adversarial"), q(3, "adversarial"), q(4, "adversarial"),
                                   q(10000001, "random"), q(10000002, "random"), q(20000001, "popular"), q(20000002, "popular"));
        string answers = f.Lines("answers.jsonl", // shuffled, one duplicate: the join does not care
            BenchFiles.Answer(20000002, "I don't think so"), BenchFiles.Answer(3, "Yes, but no cat."), BenchFiles.Answer(1, "Yes, there is."),
            BenchFiles.Answer(10000001, "NO"), BenchFiles.Answer(2, "No"), BenchFiles.Answer(4, "There isn't."), BenchFiles.Answer(2, "Nope"),
            BenchFiles.Answer(10000002, "no."), BenchFiles.Answer(20000001, "No"));
        var r = BenchmarkScorer.Score(Benchmark.Parse("pope"), answers, questions, Path.Combine(f.Dir, "coco"));
        var adv = r.Extra["splits"]!["adversarial"]!;
        // adversarial: TP 1, FP 2 (Nope, There isn't.), FN 1 -> precision 1/3, recall 1/2, F1 0.4, accuracy 1/4, yes ratio 3/4
        Assert.Equal(0.4, adv["f1"]!.GetValue<double>(), 12);
        Assert.Equal(0.25, adv["accuracy"]!.GetValue<double>(), 12);
        Assert.Equal(0.75, adv["yes_ratio"]!.GetValue<double>(), 12);
        // popular: FN 1, TP 1 -> precision 1, recall 1/2, F1 2/3
        Assert.Equal(2.0 / 3, r.Extra["splits"]!["popular"]!["f1"]!.GetValue<double>(), 12);
        // random: FP 1 (NO), TN 1; recall is 0/0 (the script would raise): 0, with a warning
        Assert.Equal(0.0, r.Extra["splits"]!["random"]!["f1"]!.GetValue<double>());
        Assert.Contains(r.Warnings, w => w.Contains("random") && w.Contains("recall"));
        Assert.Equal((0.4 + 2.0 / 3 + 0) / 3, r.Accuracy, 12);
        Assert.Equal(8, r.Count);
        Assert.Contains("Precision: 0.3333333333333333", r.Text); // printed as the script prints a float
        Assert.Contains("0.400, 0.250, 0.333, 0.500, 0.750", r.Text);
    }
}
