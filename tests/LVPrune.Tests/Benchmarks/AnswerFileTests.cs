using System.Text.Json;
using LVPrune.Benchmarks;

namespace LVPrune.Tests.Benchmarks;

/// <summary>The model-free half of `eval --benchmark`: shards, answer lines, resume and merge.</summary>
public class AnswerFileTests
{
    [Theory]
    [InlineData(10, 4, new[] { 3, 3, 3, 1 })]
    [InlineData(9, 4, new[] { 3, 3, 3, 0 })]   // LLaVA's split_list makes 3 chunks here; the 4th shard is empty
    [InlineData(5, 1, new[] { 5 })]
    [InlineData(2, 3, new[] { 1, 1, 0 })]
    public void Shards_AreLlavasContiguousSlices(int total, int n, int[] sizes)
    {
        int next = 0;
        for (int i = 0; i < n; i++)
        {
            var (start, end) = new ShardSpec(i, n).Range(total);
            Assert.Equal(sizes[i], end - start);
            if (end > start) { Assert.Equal(next, start); next = end; }
        }
        Assert.Equal(total, next);
        Assert.Throws<LVPruneException>(() => ShardSpec.Parse($"{n}/{n}"));
        Assert.Equal(new ShardSpec(1, 3), ShardSpec.Parse("1/3"));
    }

    private static (BenchFiles Files, BenchmarkPlan Plan) Plan(int count, int textOnlyFrom = int.MaxValue, ShardSpec? shard = null)
    {
        var f = new BenchFiles();
        var items = Enumerable.Range(0, count).Select(i => (object)new Dictionary<string, object>
        {
            ["id"] = $"p{i}", ["conversations"] = new[] { new { from = "human", value = $"<image>\nQ{i}\nA. x\nB. y" }, new { from = "gpt", value = "A" } },
        }.Concat(i < textOnlyFrom ? [new KeyValuePair<string, object>("image", $"p{i}/image.png")] : []).ToDictionary()).ToArray();
        string questions = f.Json("llava_test_CQM-A.json", items);
        for (int i = 0; i < Math.Min(count, textOnlyFrom); i++) f.Text($"images/p{i}/image.png", "not decoded by these tests");
        return (f, BenchmarkPlan.Prepare(Benchmark.Parse("sqa"), questions, Path.Combine(f.Dir, "images"), shard ?? ShardSpec.Whole));
    }

    private static IReadOnlyList<ModelAnswer> Echo(IReadOnlyList<BenchmarkQuestion> batch) =>
        batch.Select(q => new ModelAnswer($"answer to {q.Id.Display}", q.HasImage ? [3, 2] : [], 0.25)).ToList();

    private static List<string> WithoutRunFields(string path) => File.ReadAllLines(path).Select(l =>
    {
        var o = System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject();
        o.Remove("answer_id");
        o["metadata"]!.AsObject().Remove("ttft_s");
        return o.ToJsonString();
    }).ToList();

    [Fact]
    public void AnswerLines_AreLlavasFormat_WrittenAsJsonDumps()
    {
        var (f, plan) = Plan(3, textOnlyFrom: 2);
        using var _ = f;
        string answers = f.Path_("a.jsonl");
        BenchmarkEvaluation.Run(plan, answers, "llava-v1.5-7b", "lvpruning", [0.5, 0.3, 0.1], 4, Echo);
        var lines = File.ReadAllLines(answers);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("{\"question_id\": \"p0\", \"prompt\": \"<image>\\nQ0\\nA. x\\nB. y\\nAnswer with the option's letter from the given choices directly.\", \"text\": \"answer to p0\", \"answer_id\": \"", lines[0]);
        Assert.EndsWith("\", \"model_id\": \"llava-v1.5-7b\", \"metadata\": {\"method\": \"lvpruning\", \"keep_ratios\": [0.5, 0.3, 0.1], \"kept_tokens\": [3, 2], \"ttft_s\": 0.25, \"question_index\": 0}}", lines[0]);
        // The text-only question's prompt has no <image> (model_vqa_science.py), so eval_science_qa.py leaves it out of IMG.
        Assert.StartsWith("{\"question_id\": \"p2\", \"prompt\": \"Q2\\nA. x", lines[2]);
        Assert.Equal(22, JsonDocument.Parse(lines[0]).RootElement.GetProperty("answer_id").GetString()!.Length);
    }

    [Fact]
    public void Batches_NeverMixImageAndTextOnlyQuestions()
    {
        var (f, plan) = Plan(7, textOnlyFrom: 3);
        using var _ = f;
        var sizes = new List<(int Count, bool Image)>();
        BenchmarkEvaluation.Run(plan, f.Path_("a.jsonl"), "m", "none", null, 4, batch =>
        {
            sizes.Add((batch.Count, batch[0].HasImage));
            Assert.All(batch, q => Assert.Equal(batch[0].HasImage, q.HasImage));
            return Echo(batch);
        });
        Assert.Equal([(3, true), (4, false)], sizes);
    }

    [Fact]
    public void Resume_RepairsATornLine_AndGivesTheUninterruptedFile()
    {
        var (f, plan) = Plan(6);
        using var _ = f;
        string whole = f.Path_("whole.jsonl"), resumed = f.Path_("resumed.jsonl");
        BenchmarkEvaluation.Run(plan, whole, "m", "none", null, 2, Echo);
        var lines = File.ReadAllLines(whole);
        File.WriteAllText(resumed, string.Join("\n", lines.Take(3)) + "\n" + lines[3][..25]); // killed while writing line 4
        var asked = new List<string>();
        var summary = BenchmarkEvaluation.Run(plan, resumed, "m", "none", null, 2, b => { asked.AddRange(b.Select(q => q.Id.Display)); return Echo(b); });
        Assert.True(summary.Repaired);
        Assert.Equal(3, summary.Skipped);
        Assert.Equal(["p3", "p4", "p5"], asked);
        Assert.Equal(WithoutRunFields(whole), WithoutRunFields(resumed));
        // A finished file is left as it is.
        Assert.Equal(6, BenchmarkEvaluation.Run(plan, resumed, "m", "none", null, 2, b => throw new InvalidOperationException("nothing to answer")).Skipped);
    }

    [Fact]
    public void Resume_RefusesAFileOfAnotherRun()
    {
        var (f, plan) = Plan(4);
        using var _ = f;
        string answers = f.Path_("a.jsonl");
        BenchmarkEvaluation.Run(plan, answers, "m", "lvpruning", [0.5, 0.3, 0.1], 2, Echo);
        Assert.Contains("--method lvpruning", Assert.Throws<LVPruneException>(() => BenchmarkEvaluation.Run(plan, answers, "m", "random", [0.5, 0.3, 0.1], 2, Echo)).Message);
        Assert.Contains("keep ratios", Assert.Throws<LVPruneException>(() => BenchmarkEvaluation.Run(plan, answers, "m", "lvpruning", [0.6, 0.4, 0.2], 2, Echo)).Message);
        var (g, shard1) = Plan(4, shard: new ShardSpec(1, 2));
        using var __ = g;
        File.Copy(answers, g.Path_("b.jsonl"));
        File.WriteAllLines(g.Path_("b.jsonl"), File.ReadAllLines(answers).Take(1));
        Assert.Contains("b.jsonl line 1", Assert.Throws<LVPruneException>(() => BenchmarkEvaluation.Run(shard1, g.Path_("b.jsonl"), "m", "lvpruning", [0.5, 0.3, 0.1], 2, Echo)).Message);
    }

    [Fact]
    public void Merge_OrdersShardsByQuestion_AndRefusesGapsAndOverlaps()
    {
        var (f, whole) = Plan(7);
        using var _ = f;
        BenchmarkEvaluation.Run(whole, f.Path_("whole.jsonl"), "m", "none", null, 3, Echo);
        string questions = whole.QuestionsPath, images = whole.ImagesDir!;
        var shards = Enumerable.Range(0, 3).Select(i =>
        {
            string path = f.Path_($"3_{i}.jsonl");
            BenchmarkEvaluation.Run(BenchmarkPlan.Prepare(whole.Benchmark, questions, images, new ShardSpec(i, 3)), path, "m", "none", null, 2, Echo);
            return path;
        }).ToList();
        var result = AnswerMerge.Merge([shards[2], shards[0], shards[1]], f.Path_("merge.jsonl")); // any order
        Assert.True(result.OrderedByIndex);
        Assert.Equal(WithoutRunFields(f.Path_("whole.jsonl")), WithoutRunFields(f.Path_("merge.jsonl")));
        Assert.Contains("missing", Assert.Throws<LVPruneException>(() => AnswerMerge.Merge([shards[0], shards[2]], f.Path_("m2.jsonl"))).Message);
        Assert.Contains("twice", Assert.Throws<LVPruneException>(() => AnswerMerge.Merge([shards[0], shards[0], shards[1], shards[2]], f.Path_("m3.jsonl"))).Message);
        Assert.False(File.Exists(f.Path_("m2.jsonl")));
        File.AppendAllText(shards[1], "{\"question_id\": ");
        Assert.Contains("torn", Assert.Throws<LVPruneException>(() => AnswerMerge.Merge(shards, f.Path_("m4.jsonl"))).Message);
    }
}
