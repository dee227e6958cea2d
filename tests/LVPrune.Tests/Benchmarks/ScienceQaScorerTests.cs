using LVPrune.Benchmarks;
using LVPrune.Benchmarks.Scoring;

namespace LVPrune.Tests.Benchmarks;

/// <summary>ScienceQA as eval_science_qa.py: its letter parsing, and the IMG subset taken from the answer's prompt.</summary>
public class ScienceQaScorerTests
{
    [Theory]
    [InlineData("A", "A")]
    [InlineData("E", "E")]
    [InlineData("F", "FAILED")]
    [InlineData("a", "FAILED")]                       // lmms-eval would accept it; LLaVA does not
    [InlineData("A.", "FAILED")]                      // 2 characters: not "X. "
    [InlineData("B. the cat", "B")]
    [InlineData("The answer is C", "FAILED")]        // the regex needs a character after the letter
    [InlineData("The answer is D, because", "D")]
    [InlineData("The answer is C. The answer is B.", "FAILED")] // two hits
    [InlineData("I think The answer is Z.", "Z")]
    [InlineData("", "FAILED")]
    public void ParseLetter_IsTheScriptsParsing(string text, string expected) => Assert.Equal(expected, ScienceQaScorer.ParseLetter(text));

    [Fact]
    public void Score_ImgAccuracyCountsPredictionsWhosePromptHasTheImage()
    {
        using var f = new BenchFiles();
        string dir = f.Dir;
        f.Json("problems.json", new Dictionary<string, object>
        {
            ["1"] = new { choices = new[] { "a", "b" }, answer = 0, image = "image.png" },
            ["2"] = new { choices = new[] { "a", "b", "c" }, answer = 2, image = "image.png" },
            ["3"] = new { choices = new[] { "a", "b" }, answer = 1, image = (string?)null },
            ["4"] = new { choices = new[] { "a", "b" }, answer = 1, image = "image.png" },
            ["5"] = new { choices = new[] { "a", "b" }, answer = 0, image = (string?)null },
            ["9"] = new { choices = new[] { "a", "b" }, answer = 0, image = (string?)null },
        });
        f.Json("pid_splits.json", new { train = new[] { "9" }, test = new[] { "1", "2", "3", "4", "5" } });
        string img = "<image>\nQ\nA. a\nB. b\nAnswer with the option's letter from the given choices directly.";
        string answers = f.Lines("answers.jsonl",
            BenchFiles.Answer("1", "A", img),                     // right, IMG
            BenchFiles.Answer("2", "The answer is C.", img),      // right, IMG
            BenchFiles.Answer("3", "B", "Q\nA. a\nB. b"),         // right, text only
            BenchFiles.Answer("5", "C", "Q"));                    // C is beyond 2 choices: wrong; question 4 (image) has no answer
        var r = BenchmarkScorer.Score(Benchmark.Parse("sqa"), answers, null, dir);
        // Total 5, correct 3; the missing image question 4 gets prompt "Unknown" and leaves the IMG subset: 2 / 2.
        Assert.Equal(5, r.Count);
        Assert.Equal(1.0, r.Accuracy);
        Assert.Equal(0.6, r.Extra["all_accuracy"]!.GetValue<double>(), 12);
        Assert.Equal(["Total: 5, Correct: 3, Accuracy: 60.00%, IMG-Accuracy: 100.00%"], r.Text);
    }
}
