using LVPrune.Benchmarks;

namespace LVPrune.Tests.Benchmarks;

/// <summary>
/// VQAv2 through LLaVA's converter (m4c) and vqaEval v2.0. The expected numbers are worked out by hand
/// below and were confirmed by running convert_vqav2_for_submission.py and vqaEval.py (0dc4ab7) on the
/// same files (Overall 49.26, yes/no 100.00, number 100.00, other 23.89).
/// </summary>
public class VqaV2ScorerTests
{
    private static object Ann(int id, string[] answers, string type, bool sameDicts01 = false)
    {
        var list = answers.Select((a, k) => new Dictionary<string, object> { ["answer"] = a, ["answer_confidence"] = "yes", ["answer_id"] = k + 1 }).ToList();
        if (sameDicts01) list[1] = new Dictionary<string, object>(list[0]);
        return new { question_type = "what", multiple_choice_answer = answers[0], answers = list, image_id = id, answer_type = type, question_id = id };
    }

    private static string[] Rep(string a, int n) => Enumerable.Repeat(a, n).ToArray();

    private static (string Answers, string Annotations) Files(BenchFiles f) =>
    (
        f.Lines("answers.jsonl",
            BenchFiles.Answer(1, "Yes"),          // m4c "yes" = unanimous GT "yes": 1.0
            BenchFiles.Answer(2, "Yes."),         // 1.0
            "{broken",                             // skipped (error_line)
            BenchFiles.Answer(3, "none"),         // m4c "0"; GT {nothing x6, none x4} not digit-normalised: 0
            BenchFiles.Answer(4, "red,white"),    // m4c "redwhite"; GT punctuation -> "red white": 0
            BenchFiles.Answer(5, "woman's"),      // m4c "woman 's" never equals "woman's": 0
            BenchFiles.Answer(6, "two"),          // "2": 1.0
            BenchFiles.Answer(7, "cat"),          // two equal GT dicts leave together: (1/3 + 1/3 + 2/3 + 7) / 10
            BenchFiles.Answer(9, "cat"),
            BenchFiles.Answer(9, "dog")),         // the later line wins: 2 of 10 -> 0.6; question 8 has no answer: "" -> 0
        f.Json("annotations.json", new
        {
            annotations = new[]
            {
                Ann(1, Rep("yes", 10), "yes/no"), Ann(2, Rep("yes", 10), "yes/no"), Ann(3, [.. Rep("nothing", 6), .. Rep("none", 4)], "other"),
                Ann(4, [.. Rep("red,white", 5), .. Rep("red white", 5)], "other"), Ann(5, Rep("woman's", 10), "other"), Ann(6, Rep("2", 10), "number"),
                Ann(7, [.. Rep("cat", 3), .. Rep("dog", 7)], "other", sameDicts01: true), Ann(8, Rep("cat", 10), "other"),
                Ann(9, [.. Rep("dog", 2), .. Rep("cat", 8)], "other"),
            },
        })
    );

    [Fact]
    public void Score_FollowsTheConverterAndVqaEvalV2()
    {
        using var f = new BenchFiles();
        var (answers, annotations) = Files(f);
        var r = BenchmarkScorer.Score(Benchmark.Parse("vqav2"), answers, null, annotations);
        double q7 = (1.0 / 3 + 1.0 / 3 + 2.0 / 3 + 7) / 10;
        Assert.Equal(9, r.Count);
        Assert.Equal((1 + 1 + 0 + 0 + 0 + 1 + q7 + 0 + 0.6) / 9, r.Accuracy, 12);
        Assert.Equal(1.0, r.Extra["answer_types"]!["yes/no"]!.GetValue<double>());
        Assert.Equal(1.0, r.Extra["answer_types"]!["number"]!.GetValue<double>());
        Assert.Equal((q7 + 0.6) / 6, r.Extra["answer_types"]!["other"]!.GetValue<double>(), 12);
        Assert.Contains("Overall Accuracy is: 49.26", r.Text);
        Assert.Contains("other : 23.89", r.Text);
        Assert.Equal(1, r.Extra["error_lines"]!.GetValue<int>());
        Assert.Contains(r.Warnings, w => w.Contains("line 3"));
    }

    [Fact]
    public void Score_WithTheQuestionFile_NeedsTheSameQuestionsAsTheAnnotations()
    {
        using var f = new BenchFiles();
        var (answers, annotations) = Files(f);
        string questions = f.Json("questions.json", new { questions = Enumerable.Range(1, 9).Select(i => new { image_id = i, question = "q", question_id = i }) });
        Assert.Equal(9, BenchmarkScorer.Score(Benchmark.Parse("vqav2"), answers, questions, annotations).Count);
        string fewer = f.Json("fewer.json", new { questions = Enumerable.Range(1, 8).Select(i => new { image_id = i, question = "q", question_id = i }) });
        var e = Assert.Throws<LVPruneException>(() => BenchmarkScorer.Score(Benchmark.Parse("vqav2"), f.Lines("a8.jsonl", BenchFiles.Answer(1, "yes")), fewer, annotations));
        Assert.Contains("question 9", e.Message);
    }

    [Fact]
    public void Score_RefusesAnswersToOtherQuestions()
    {
        using var f = new BenchFiles();
        var (_, annotations) = Files(f);
        string other = f.Lines("other.jsonl", BenchFiles.Answer(1, "yes"), BenchFiles.Answer("20000001", "yes"));
        var e = Assert.Throws<LVPruneException>(() => BenchmarkScorer.Score(Benchmark.Parse("vqav2"), other, null, annotations));
        Assert.Contains("other.jsonl line 2", e.Message);
    }
}
