using LVPrune.Benchmarks;

namespace LVPrune.Tests.Benchmarks;

/// <summary>GQA through convert_gqa_for_eval.py (rstrip('.').lower()) and eval.py (exact match over balanced questions).</summary>
public class GqaScorerTests
{
    private static object Q(string answer, bool balanced, string structural, string semantic, string detailed, string? global) => new
    {
        question = "is there a thing here?", answer, imageId = "n1", isBalanced = balanced,
        types = new { structural, semantic, detailed }, groups = new { global, local = "x" },
        semantic = new object[] { new { operation = "select", argument = "thing", dependencies = Array.Empty<int>() }, new { operation = "exist", argument = "?", dependencies = new[] { 0 } } },
        entailed = Array.Empty<string>(), equivalent = Array.Empty<string>(),
    };

    private static string Questions(BenchFiles f) => f.Json("testdev_balanced_questions.json", new Dictionary<string, object>
    {
        ["1"] = Q("yes", true, "verify", "obj", "existC", null),
        ["2"] = Q("table", true, "query", "cat", "categoryRel", "furniture"),
        ["3"] = Q("left", true, "choose", "rel", "relChooser", null),
        ["4"] = Q("no", false, "verify", "obj", "existC", null),
        ["5"] = Q("red", true, "query", "attr", "colorCommon", "color"),
        ["6"] = Q("blue", true, "query", "attr", "colorAttr", "color"),
    });

    private static string Answers(BenchFiles f) => f.Lines("answers.jsonl",
        BenchFiles.Answer("1", "Yes."),        // -> "yes": right
        BenchFiles.Answer("2", "The table"),   // -> "the table": articles stay, wrong
        BenchFiles.Answer("3", "left. "),      // rstrip('.') stops at the space: wrong
        BenchFiles.Answer("5", "red"),
        BenchFiles.Answer("6", "blue..."));    // question 4 is not balanced and needs no prediction

    [Fact]
    public void Score_IsExactMatchOverBalancedQuestions()
    {
        using var f = new BenchFiles();
        var r = BenchmarkScorer.Score(Benchmark.Parse("gqa"), Answers(f), null, Questions(f));
        Assert.Equal(5, r.Count);
        Assert.Equal(0.6, r.Accuracy, 12);
        Assert.Equal(0.5, r.Extra["binary"]!.GetValue<double>(), 12);    // verify + choose
        Assert.Equal(2.0 / 3, r.Extra["open"]!.GetValue<double>(), 12);  // query
        // No choices file beside the questions: validity and plausibility are 0, as eval.py prints them.
        Assert.Equal(0.0, r.Extra["validity"]!.GetValue<double>());
        // chi-square: furniture (o 0 vs e 1) = 1 over 1 question, colour 0 over 2: (1*1 + 0*2) / 3 / 100.
        Assert.Equal(1.0 / 3 / 100, r.Extra["distribution"]!.GetValue<double>(), 12);
        Assert.Contains("Accuracy: 60.00%", r.Text);
        Assert.Contains("Binary: 50.00%", r.Text);
        Assert.Contains("Open: 66.67%", r.Text);
    }

    [Fact]
    public void Score_WithAChoicesFile_CountsValidity_AndCommonQuestionsUseTheFixedGroup()
    {
        using var f = new BenchFiles();
        string questions = Questions(f);
        var choice = (string[] valid) => new { valid, plausible = valid };
        f.Json("testdev_balanced_choices.json", new Dictionary<string, object>
        {
            ["1"] = choice(["yes", "no"]), ["2"] = choice(["table", "chair"]), ["3"] = choice(["left", "right"]),
            ["4"] = choice(["yes", "no"]), ["5"] = choice(["red", "blue"]), ["6"] = choice(["blue"]),
        });
        var r = BenchmarkScorer.Score(Benchmark.Parse("gqa"), Answers(f), null, questions);
        // Valid: 1 and 6. Question 5's detailed type holds "Common", so its group is [color, material, shape] and "red" is not in it.
        Assert.Equal(0.4, r.Extra["validity"]!.GetValue<double>(), 12);
        Assert.Equal(0.4, r.Extra["plausibility"]!.GetValue<double>(), 12);
    }

    [Fact]
    public void Score_NeedsAPredictionForEveryBalancedQuestion()
    {
        using var f = new BenchFiles();
        string answers = f.Lines("few.jsonl", BenchFiles.Answer("1", "yes"));
        var e = Assert.Throws<LVPruneException>(() => BenchmarkScorer.Score(Benchmark.Parse("gqa"), answers, null, Questions(f)));
        Assert.Contains("question 2", e.Message);
    }
}
