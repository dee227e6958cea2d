using LVPrune.Generation;
using LVPrune.Models;
using LVPrune.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Models;

public class LlavaForwardTests
{
    private static double MaxDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();

    private static Tensor Logits(LlavaForConditionalGeneration model, LlavaBatch batch, ITokenSelector? selector = null)
    {
        using var _ = no_grad();
        return model.Forward(batch, selector).Logits!;
    }

    [Theory]
    [InlineData("default", -2)]
    [InlineData("full", -1)]
    [InlineData("default", 1)]
    public void Logits_MatchIndependentFloat64Reference(string strategy, int featureLayer)
    {
        var cfg = TinyModels.Config(strategy: strategy, featureLayer: featureLayer);
        using var model = TinyModels.Create(cfg);
        var prompt = TinyModels.Prompt(3);
        var pixels = TinyModels.Pixels(1, 5);
        var logits = Logits(model, TinyModels.Batch(cfg, [prompt], pixels));

        var reference = new ReferenceLlava(cfg, model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        var (embeds, _) = reference.Embed(prompt, pixels[0]);
        long T = embeds.shape[0];
        Assert.Equal(T, logits.shape[1]);
        var h = reference.Layers(embeds, Enumerable.Range(0, (int)T).Select(i => (long)i).ToArray(), 0, cfg.TextConfig.NumHiddenLayers);
        var expected = reference.Logits(h);
        Assert.True(expected.abs().max().ToDouble() > 0.5, "reference logits should not be trivially small");
        Assert.True(MaxDiff(logits[0], expected) < 1e-4, $"max |diff| {MaxDiff(logits[0], expected)}");
    }

    [Fact]
    public void ImageFeatures_MatchReference_AndClassTokenDropped()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var pixels = TinyModels.Pixels(2, 9);
        using var _ = no_grad();
        var feats = model.ImageFeatures(pixels);
        Assert.Equal(new long[] { 2, 16, 32 }, feats.shape);
        var reference = new ReferenceLlava(cfg, model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        for (int b = 0; b < 2; b++) Assert.True(MaxDiff(feats[b], reference.ImageFeatures(pixels[b])) < 1e-5);
    }

    [Fact]
    public void KeepPlanKeepingEverything_EqualsNoPlan()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var batch = TinyModels.Batch(cfg, [TinyModels.Prompt(1), TinyModels.Prompt(2, 3, 2)], TinyModels.Pixels(2, 2));
        var all = Enumerable.Range(0, 16).ToArray();
        var plan = new KeepPlan([new(1, all), new(2, all)], cfg.TextConfig.NumHiddenLayers, 16);
        var a = Logits(model, batch);
        var b = Logits(model, batch, plan);
        Assert.Equal(0.0, MaxDiff(a, b));
    }

    [Fact]
    public void KeepPlan_EqualsReferenceRunOnGatheredTokensWithOriginalPositions()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var prompt = TinyModels.Prompt(4, before: 3, after: 4);
        var pixels = TinyModels.Pixels(1, 3);
        int[] stage1 = [0, 3, 5, 9, 15], stage2 = [3, 9];
        var plan = new KeepPlan([new(0, stage1), new(2, stage2)], cfg.TextConfig.NumHiddenLayers, 16);
        var logits = Logits(model, TinyModels.Batch(cfg, [prompt], pixels), plan);

        var reference = new ReferenceLlava(cfg, model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        var (h, isImage) = reference.Embed(prompt, pixels[0]);
        var positions = Enumerable.Range(0, isImage.Length).Select(i => (long)i).ToArray();
        var imageIndex = new int[isImage.Length];
        for (int i = 0, k = 0; i < isImage.Length; i++) imageIndex[i] = isImage[i] ? k++ : -1;
        h = reference.Layers(h, positions, 0, 1);
        var keep1 = Enumerable.Range(0, isImage.Length).Where(i => !isImage[i] || stage1.Contains(imageIndex[i])).ToArray();
        h = h.index_select(0, tensor(keep1.Select(i => (long)i).ToArray()));
        h = reference.Layers(h, keep1.Select(i => positions[i]).ToArray(), 1, 3);
        var keep2 = keep1.Where(i => !isImage[i] || stage2.Contains(imageIndex[i])).ToArray();
        var local2 = keep2.Select(i => (long)Array.IndexOf(keep1, i)).ToArray();
        h = h.index_select(0, tensor(local2));
        h = reference.Layers(h, keep2.Select(i => positions[i]).ToArray(), 3, 4);
        var expected = reference.Logits(h);

        Assert.Equal(expected.shape[0], logits.shape[1]);
        Assert.True(MaxDiff(logits[0], expected) < 1e-4, $"max |diff| {MaxDiff(logits[0], expected)}");
        // Pruning must change something, or this test proves nothing.
        var unpruned = Logits(model, TinyModels.Batch(cfg, [prompt], pixels));
        Assert.True(MaxDiff(unpruned[0, ^1], logits[0, ^1]) > 1e-3);
    }

    [Fact]
    public void CachedDecoding_EqualsFullRecompute()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var prompt = TinyModels.Prompt(7);
        var pixels = TinyModels.Pixels(1, 7);
        var result = LlavaGenerator.Generate(model, TinyModels.Batch(cfg, [prompt], pixels),
            new GenerationOptions { MaxNewTokens = 6, StopAtEos = false }, eosId: 2);
        var generated = result.Tokens[0];
        Assert.Equal(6, generated.Length);
        // Recompute from scratch on prompt + generated: the argmax at each step must reproduce the tokens.
        var full = prompt.Concat(generated.Select(t => (long)t)).ToArray();
        var logits = Logits(model, TinyModels.Batch(cfg, [full], pixels))[0];
        long promptLen = logits.shape[0] - generated.Length;
        for (int i = 0; i < generated.Length; i++)
            Assert.Equal(generated[i], (int)logits[promptLen - 1 + i].argmax().ToInt64());
    }

    [Fact]
    public void CachedDecodeLogits_EqualFullRecomputeLogits_WithPadding()
    {
        using var model = TinyModels.Create(TinyModels.Config());
        AssertCachedDecodeEqualsRecompute(model, 1e-5);
    }

    /// <summary>A decode step on the cache equals recomputing prompt + token from scratch, with padding in the batch (any compute path).</summary>
    internal static void AssertCachedDecodeEqualsRecompute(LlavaForConditionalGeneration model, double tolerance)
    {
        var cfg = model.Config;
        long[] p1 = TinyModels.Prompt(11, 1, 2), p2 = TinyModels.Prompt(12, 4, 6);
        var pixels = TinyModels.Pixels(2, 1);
        var batch = TinyModels.Batch(cfg, [p1, p2], pixels);
        Assert.True(batch.HasPadding);
        using var _ = no_grad();
        var c = cfg.TextConfig;
        using var cache = new KvCache(c.NumHiddenLayers, 2, c.KvHeads, (int)batch.Length + 4, c.HeadDimension, model.ComputeDType, CPU);
        model.Forward(batch, cache: cache, logits: LogitsMode.None);
        var next = tensor(new long[] { 5, 7 }).view(2, 1);
        var stepLogits = model.DecodeStep(next, batch.NextPositions(), cache); // [2, 1, V]
        for (int b = 0; b < 2; b++)
        {
            var row = (b == 0 ? p1 : p2).Append(b == 0 ? 5L : 7L).ToArray();
            var single = Logits(model, TinyModels.Batch(cfg, [row], pixels[b].unsqueeze(0)));
            Assert.True(MaxDiff(stepLogits[b, 0], single[0, ^1]) < tolerance, $"row {b}: {MaxDiff(stepLogits[b, 0], single[0, ^1])}");
        }
    }

    [Fact]
    public void Batch_EqualsOneByOne_GreedyTokensAndLogits()
    {
        using var model = TinyModels.Create(TinyModels.Config());
        AssertBatchEqualsRowsAlone(model, 1e-5);
    }

    /// <summary>A batch generates what each row generates alone, with and without a pruning plan, and gives each row's logits (any compute path).</summary>
    internal static void AssertBatchEqualsRowsAlone(LlavaForConditionalGeneration model, double tolerance)
    {
        var cfg = model.Config;
        long[][] prompts = [TinyModels.Prompt(21, 1, 1), TinyModels.Prompt(22, 5, 7), TinyModels.Prompt(23, 2, 3)];
        var pixels = TinyModels.Pixels(3, 4);
        var options = new GenerationOptions { MaxNewTokens = 5, StopAtEos = false };
        var plan = new KeepPlan([new(1, [1, 2, 8, 13])], cfg.TextConfig.NumHiddenLayers, 16);
        foreach (ITokenSelector? selector in new ITokenSelector?[] { null, plan })
        {
            var batched = LlavaGenerator.Generate(model, TinyModels.Batch(cfg, prompts, pixels), options, 2, selector);
            for (int b = 0; b < prompts.Length; b++)
            {
                var alone = LlavaGenerator.Generate(model, TinyModels.Batch(cfg, [prompts[b]], pixels[b].unsqueeze(0)), options, 2, selector);
                Assert.Equal(alone.Tokens[0], batched.Tokens[b]);
            }
        }
        var batchLogits = Logits(model, TinyModels.Batch(cfg, prompts, pixels));
        for (int b = 0; b < prompts.Length; b++)
        {
            var alone = Logits(model, TinyModels.Batch(cfg, [prompts[b]], pixels[b].unsqueeze(0)));
            Assert.True(MaxDiff(batchLogits[b, ^1], alone[0, ^1]) < tolerance, $"row {b}");
        }
    }

    [Fact]
    public void Bf16Model_TracksFp32WithinBf16Precision()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        using var bf = TinyModels.Create(cfg, dtype: ScalarType.BFloat16);
        var batch = TinyModels.Batch(cfg, [TinyModels.Prompt(2)], TinyModels.Pixels(1, 2));
        var a = Logits(model, batch);
        var b = Logits(bf, batch);
        Assert.Equal(ScalarType.Float32, b.dtype);
        double scale = a.abs().max().ToDouble();
        Assert.True(MaxDiff(a, b) < 0.1 * scale, $"bf16 vs fp32 {MaxDiff(a, b)} (scale {scale})");
    }
}
