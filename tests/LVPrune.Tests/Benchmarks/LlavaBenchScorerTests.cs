using LVPrune.Benchmarks;

namespace LVPrune.Tests.Benchmarks;

/// <summary>LLaVA-Bench review aggregation as summarize_gpt_review.py.</summary>
public class LlavaBenchScorerTests
{
    [Fact]
    public void Score_AveragesParseFailuresIn_AndRoundsMeansBeforeTheRatio()
    {
        using var f = new BenchFiles();
        var review = (int id, string category, double[] tuple) => new { id, question_id = id, answer1_id = "a", answer2_id = "b", category = "llava_bench_" + category, content = "x", tuple };
        string reviews = f.Lines("reviews.jsonl",
            review(1, "conv", [7, 6]), review(2, "conv", [7, 7]), review(3, "conv", [8, 7]),   // means 22/3, 20/3 -> 7.333, 6.667
            review(4, "detail", [-1, -1]), review(5, "detail", [8, 6]),                        // the failure counts: (3.5, 2.5)
            review(6, "complex", [10, 5]),
            "not json");
        var r = BenchmarkScorer.Score(Benchmark.Parse("llava-bench"), reviews, null, null);
        Assert.Equal(6, r.Count);
        Assert.Equal(6.667 / 7.333, r.Extra["categories"]!["llava_bench_conv"]!.GetValue<double>(), 15);
        Assert.Equal(2.5 / 3.5, r.Extra["categories"]!["llava_bench_detail"]!.GetValue<double>(), 15);
        // all: means (39/6, 30/6) = (6.5, 5.0)
        Assert.Equal(5.0 / 6.5, r.Accuracy, 15);
        Assert.Equal(["reviews", "all 76.9 65.0 50.0", "llava_bench_complex 50.0 100.0 50.0", "llava_bench_conv 90.9 73.3 66.7", "llava_bench_detail 71.4 35.0 25.0", "================================="], r.Text);
        Assert.Contains(r.Warnings, w => w.Contains("line 7"));
    }
}
