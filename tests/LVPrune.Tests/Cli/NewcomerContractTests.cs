using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LVPrune.Checkpoints;
using LVPrune.Cli;
using LVPrune.Images;
using LVPrune.Pruning;
using LVPrune.Models;
using LVPrune.Recipes;
using LVPrune.Toy;

namespace LVPrune.Tests.Cli;

/// <summary>
/// Issue 18's papercuts as contracts: --limit below 1 refused, eval's time to first token per batch and per
/// question as measured, generate --json's per-token decode time, and the one adapter-default rule.
/// </summary>
public class NewcomerContractTests
{
    private static (int code, string stdout, string stderr) Run(params string[] args) => CliRunner.Run(args);

    private static void AssertUserError((int code, string stdout, string stderr) r, string expected) => CliRunner.AssertUserError(r, expected);

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public void LimitBelowOne_IsRefusedByEvalSweepAndTrain(string limit)
    {
        using var ckpt = new TinyCheckpoint();
        var data = Path.Combine(ckpt.Dir, "data");
        ShapesVqaWriter.Write(data, count: 2, seed: 5, minObjects: 1, maxObjects: 1, imageSize: 64);
        string json = Path.Combine(data, "data.json"), output = Path.Combine(ckpt.Dir, "out");
        string expected = $"--limit must be at least 1, got {limit}";
        AssertUserError(Run("eval", "--model", ckpt.Dir, "--data", json, "--limit", limit), expected);
        AssertUserError(Run("sweep", "--model", ckpt.Dir, "--data", json, "--methods", "none", "--out", output, "--limit", limit), expected);
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", json, "--out", output, "--limit", limit), expected);
        Assert.False(Directory.Exists(output));
        // One is fine and means one.
        var one = Run("eval", "--model", ckpt.Dir, "--data", json, "--limit", "1", "--max-new-tokens", "1", "--json");
        Assert.True(one.code == 0, one.stderr);
        using var doc = JsonDocument.Parse(one.stdout);
        Assert.Equal(1, doc.RootElement.GetProperty("count").GetInt32());
    }

    [Fact]
    public void Eval_ReportsTimeToFirstTokenPerBatchAndPerQuestion_AsMeasured()
    {
        using var ckpt = new TinyCheckpoint();
        var data = Path.Combine(ckpt.Dir, "data");
        ShapesVqaWriter.Write(data, count: 5, seed: 5, minObjects: 1, maxObjects: 2, imageSize: 64);
        var r = Run("eval", "--model", ckpt.Dir, "--data", Path.Combine(data, "data.json"), "--batch-size", "2", "--max-new-tokens", "1");
        Assert.True(r.code == 0, r.stderr);
        var m = Regex.Match(r.stdout, @"time to first token \(vision \+ prefill\): ([\d.]+) ms per batch \((\d+) batches of up to 2\), ([\d.]+) ms per question");
        Assert.True(m.Success, r.stdout);
        Assert.Equal(3, int.Parse(m.Groups[2].Value)); // 5 questions in batches of 2: 2 + 2 + 1
        double perBatch = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), perQuestion = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        // Both are the same measured total: 3 batches x per batch = 5 questions x per question (up to the printed rounding).
        Assert.InRange(3 * perBatch - 5 * perQuestion, -0.5, 0.5);
        Assert.True(perBatch > 0);
        Assert.DoesNotContain("(batched)", r.stdout);
    }

    [Fact]
    public void GenerateJson_ReportsDecodeTimePerToken_BesideTheTotal()
    {
        using var ckpt = new TinyCheckpoint();
        var png = Path.Combine(ckpt.Dir, "img.png");
        ImageIO.SavePng(RgbImage.Filled(40, 30, 10, 200, 10), png);
        var r = Run("generate", "--model", ckpt.Dir, "--image", png, "--question", "What color is it?", "--max-new-tokens", "5", "--json");
        Assert.True(r.code == 0, r.stderr);
        using var doc = JsonDocument.Parse(r.stdout);
        var timing = doc.RootElement.GetProperty("timing");
        Assert.Equal(["vision_s", "ttft_s", "decode_s", "decode_steps", "decode_ms_per_token"], timing.EnumerateObject().Select(p => p.Name));
        int steps = timing.GetProperty("decode_steps").GetInt32(), tokens = doc.RootElement.GetProperty("tokens").GetArrayLength();
        // The first token comes from prefill; each decode step yields one more (the last may be EOS, not listed).
        Assert.InRange(steps, Math.Max(0, tokens - 1), 4);
        if (steps > 0)
            Assert.Equal(timing.GetProperty("decode_s").GetDouble() * 1000 / steps, timing.GetProperty("decode_ms_per_token").GetDouble(), 9);
        else Assert.Equal(JsonValueKind.Null, timing.GetProperty("decode_ms_per_token").ValueKind);
    }

    [Fact]
    public void BundledToyModel_DefaultsToItsAdapter_ForMethodLVPruning()
    {
        var png = Path.Combine(Path.GetTempPath(), $"lvprune-rule-{Guid.NewGuid():N}.png");
        var (scene, _) = ToyDemo.Scene(7);
        ImageIO.SavePng(scene, png);
        string copy = Path.Combine(Path.GetTempPath(), $"lvprune-bundled-copy-{Guid.NewGuid():N}");
        try
        {
            // No --model: the bundled model, and --method lvpruning takes its bundled adapter.
            var pruned = Run("generate", "--image", png, "--question", "What shape is it?", "--max-new-tokens", "2", "--method", "lvpruning", "--json");
            Assert.True(pruned.code == 0, pruned.stderr);
            using (var doc = JsonDocument.Parse(pruned.stdout))
            {
                Assert.Equal("lvpruning", doc.RootElement.GetProperty("method").GetString());
                Assert.Equal(3, doc.RootElement.GetProperty("stages").GetArrayLength());
            }
            // Without --method, generate does not prune (the default is lvpruning only with --adapter).
            var plain = Run("generate", "--image", png, "--question", "What shape is it?", "--max-new-tokens", "2", "--json");
            Assert.True(plain.code == 0, plain.stderr);
            using (var doc = JsonDocument.Parse(plain.stdout))
                Assert.Equal(0, doc.RootElement.GetProperty("stages").GetArrayLength());

            // A copy of the bundled folder (such as the repository's assets/toy-llava) is the bundled model too.
            Directory.CreateDirectory(copy);
            foreach (var f in Directory.EnumerateFiles(CommonOptions.BundledModel)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            var fromCopy = Run("generate", "--model", copy, "--image", png, "--question", "What shape is it?", "--max-new-tokens", "2", "--method", "lvpruning", "--json");
            Assert.True(fromCopy.code == 0, fromCopy.stderr);
            Assert.Equal(pruned.stdout.Split("\"timing\"")[0], fromCopy.stdout.Split("\"timing\"")[0]);
        }
        finally
        {
            File.Delete(png);
            if (Directory.Exists(copy)) Directory.Delete(copy, true);
        }
    }

    [Fact]
    public void OtherModels_NeedAdapter_EvenWithOneBesideThem()
    {
        using var ckpt = new TinyCheckpoint();
        using (var model = ModelLoader.Load(ckpt.Dir))
        using (var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 1))
            adapter.Save(Path.Combine(ckpt.Dir, "lvpruning.safetensors"));
        var data = Path.Combine(ckpt.Dir, "data");
        ShapesVqaWriter.Write(data, count: 2, seed: 5, minObjects: 1, maxObjects: 1, imageSize: 64);
        string json = Path.Combine(data, "data.json"), png = Path.Combine(ckpt.Dir, "img.png"), output = Path.Combine(ckpt.Dir, "out");
        ImageIO.SavePng(RgbImage.Filled(40, 30, 10, 200, 10), png);
        const string rule = "only the bundled toy model has a default adapter";
        AssertUserError(Run("generate", "--model", ckpt.Dir, "--image", png, "--question", "What?", "--method", "lvpruning"), rule);
        AssertUserError(Run("eval", "--model", ckpt.Dir, "--data", json, "--method", "lvpruning"), rule);
        AssertUserError(Run("sweep", "--model", ckpt.Dir, "--data", json, "--methods", "none,lvpruning", "--out", output), rule);
        AssertUserError(Run("demo", "--model", ckpt.Dir, "--out", output), rule);
        Assert.False(Directory.Exists(output));
        // With --adapter the same commands run.
        var ok = Run("eval", "--model", ckpt.Dir, "--data", json, "--method", "lvpruning", "--adapter", Path.Combine(ckpt.Dir, "lvpruning.safetensors"),
                     "--max-new-tokens", "1", "--json");
        Assert.True(ok.code == 0, ok.stderr);
    }
}
