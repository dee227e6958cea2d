using LVPrune.Benchmarks;
using LVPrune.Benchmarks.Scoring;

namespace LVPrune.Tests.Benchmarks;

/// <summary>TextVQA as eval_textvqa.py: (image id, question line lower-cased) keys, m4c on both sides, every line scored.</summary>
public class TextVqaScorerTests
{
    private const string Suffix = "\nAnswer the question using a single word or phrase.";

    [Theory]
    [InlineData("What is Written?\nReference OCR token: a, b" + Suffix, "what is written?")]
    [InlineData("Reference OCR token: a, b\nWhat is written?" + Suffix, "what is written?")]
    [InlineData("What is written?" + Suffix, "what is written?")]
    [InlineData("OCR tokens: a b Question: What is written? Short answer:", "what is written?")]
    [InlineData("What is written?", null)]
    [InlineData("a\nb\nc\nd", null)]
    public void PromptQuestion_IsPromptProcessor(string prompt, string? expected) => Assert.Equal(expected, TextVqaScorer.PromptQuestion(prompt));

    private static object Data(string image, string question, string[] answers) => new { question, image_id = image, answers, question_id = 1 };

    [Fact]
    public void Score_KeysByImageAndQuestion_CountsDuplicatesTwice_NormalisesBothSides()
    {
        using var f = new BenchFiles();
        string annotations = f.Json("TextVQA_0.5.1_val.json", new
        {
            data = new[]
            {
                Data("img1", "What brand?", ["Coca-Cola", "coca cola", "coca cola", "coca cola", "Coca Cola", "coca cola", "coca cola", "coca cola", "pepsi", "pepsi"]),
                Data("img1", "Whose bag?", Enumerable.Repeat("woman's", 10).ToArray()),
                Data("img2", "What brand?", Enumerable.Repeat("stop", 10).ToArray()),
                Data("img2", "what brand?", Enumerable.Repeat("GO!", 10).ToArray()), // the same key again (lower-cased): the last one wins
            },
        });
        string answers = f.Lines("answers.jsonl",
            BenchFiles.Answer("img1", "COCA COLA", "What brand?\nReference OCR token: coca" + Suffix),  // 8 of 10 after m4c ("Coca-Cola" too): 1.0
            BenchFiles.Answer("img1", "woman's", "Whose bag?\nReference OCR token: " + Suffix),          // "woman 's" on both sides: 1.0
            BenchFiles.Answer("img2", "Go.", "what BRAND?" + Suffix),                                    // 2-line prompt: 1.0 against "go"
            BenchFiles.Answer("img2", "Stop", "what BRAND?" + Suffix),                                   // the same question again counts again: 0
            BenchFiles.Answer("img1", "Pepsi", "What brand?\nReference OCR token: coca" + Suffix));    // 2 of 10: 0.6
        var r = BenchmarkScorer.Score(Benchmark.Parse("textvqa"), answers, null, annotations);
        Assert.Equal(5, r.Count);
        Assert.Equal(3.6 / 5, r.Accuracy, 12);
        Assert.Contains("Samples: 5", r.Text);
        Assert.Contains("Accuracy: 72.00%", r.Text);
    }

    [Fact]
    public void Score_RefusesAnAnswerWithoutAnnotation_AndAnnotationsWithoutTenAnswers()
    {
        using var f = new BenchFiles();
        string annotations = f.Json("a.json", new { data = new[] { Data("img1", "Q?", ["x", "y"]) } });
        var e1 = Assert.Throws<LVPruneException>(() => BenchmarkScorer.Score(Benchmark.Parse("textvqa"), f.Lines("x.jsonl", BenchFiles.Answer("img9", "x", "Q?" + Suffix)), null, annotations));
        Assert.Contains("x.jsonl line 1", e1.Message);
        var e2 = Assert.Throws<LVPruneException>(() => BenchmarkScorer.Score(Benchmark.Parse("textvqa"), f.Lines("y.jsonl", BenchFiles.Answer("img1", "x", "Q?" + Suffix)), null, annotations));
        Assert.Contains("asserts 10", e2.Message);
    }
}
