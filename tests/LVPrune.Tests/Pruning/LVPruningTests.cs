using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Pruning;

public class LVPruningTests
{
    private static double MaxDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();

    /// <summary>Training-mode stages with fixed decisions: D_s given per image token, cumulative.</summary>
    private sealed class FixedSoftKeep(int[] layers, bool[][] keepImage) : ITokenSelector
    {
        public IReadOnlyList<SelectionStage> Stages => layers.Select(l => new SelectionStage(l)).ToArray();
        public StageDecision Decide(StageInput input)
        {
            var (stage, tokens) = (input.Stage, input.Tokens);
            var flags = tensor(Enumerable.Range(0, keepImage[stage].Length).Select(i => Enumerable.Range(0, stage + 1).All(s => keepImage[s][i]) ? 1f : 0f).ToArray());
            var perToken = where(tokens.IsImage, flags.index_select(0, tokens.ImageIndex.clamp_min(0).reshape(-1)).view(tokens.ImageIndex.shape), ones(tokens.ImageIndex.shape));
            return new StageDecision(SoftKeep: perToken, Attention: new MaskedSoftmax(perToken, tokens.IsImage));
        }
    }

    private static LlavaBatch Batch(LVPrune.Checkpoints.LlavaConfig cfg, int n = 2) =>
        TinyModels.Batch(cfg, Enumerable.Range(0, n).Select(i => TinyModels.Prompt(30 + i, 2 + i, 4 + 2 * i)).ToList(), TinyModels.Pixels(n, 8));

    [Fact]
    public void TrainingMode_AllKeep_EqualsUnprunedLogits()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        using var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 3);
        using (no_grad()) foreach (var (name, p) in adapter.named_parameters())
            if (name.EndsWith("score.bias")) p.copy_(tensor(new float[] { 50, -50 })); // every Gumbel draw says keep
        var batch = Batch(cfg);
        using var _ = no_grad();
        var plain = model.Forward(batch).Logits!;
        var selector = new LVPruningSelector(adapter, [0.5, 0.3, 0.1], cfg.ImageTokens, PruningMode.Train);
        var result = model.Forward(batch, selector);
        Assert.Equal(3, result.Decoder.Stages.Count);
        Assert.All(result.Decoder.Stages, s => Assert.Equal(1.0, s.SoftKeep!.min().ToDouble()));
        Assert.True(MaxDiff(plain, result.Logits!) < 1e-5, $"{MaxDiff(plain, result.Logits!)}");
    }

    [Fact]
    public void TrainingMasks_EqualInferenceRemoval_AtKeptPositions()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var rng = new Random(5);
        var s1 = Enumerable.Range(0, 16).Select(_ => rng.NextDouble() < 0.6).ToArray();
        var s2 = s1.Select(k => k && rng.NextDouble() < 0.6).ToArray();
        s1[2] = true; s2[2] = true; // at least one survivor
        var masked = new FixedSoftKeep([0, 2], [s1, s2]);
        var plan = new KeepPlan([new(0, Enumerable.Range(0, 16).Where(i => s1[i]).ToArray()), new(2, Enumerable.Range(0, 16).Where(i => s2[i]).ToArray())],
                                cfg.TextConfig.NumHiddenLayers, 16);
        var batch = Batch(cfg);
        using var _ = no_grad();
        var soft = model.Forward(batch, masked);
        var hard = model.Forward(batch, plan);
        var kept = hard.Decoder.Tokens.OriginalIndex;                                  // [B, T'] original positions still present
        var softAtKept = soft.Logits!.gather(1, kept.unsqueeze(-1).expand(kept.shape[0], kept.shape[1], soft.Logits!.shape[2]));
        Assert.True(MaxDiff(softAtKept, hard.Logits!) < 1e-4, $"{MaxDiff(softAtKept, hard.Logits!)}");
        Assert.True(MaxDiff(model.Forward(batch).Logits![.., ^1], hard.Logits![.., ^1]) > 1e-3, "pruning must change the answer logits");
    }

    [Fact]
    public void Gradients_ReachDecisionModules_NeverTheBase()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        model.SetTrainable(false);
        using var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 1);
        var prompts = new[] { TinyModels.Prompt(1), TinyModels.Prompt(2, 3, 3) };
        var labels = prompts.Select(p => (IReadOnlyList<long>)p.Select((t, i) => i >= p.Length - 2 ? t : LlavaBatch.IgnoreIndex).ToArray()).ToList();
        var batch = LlavaBatch.FromTokens(prompts.Select(p => (IReadOnlyList<long>)p).ToList(), TinyModels.Pixels(2, 1), TinyModels.ImageTokenId, 16, TinyModels.PadId, labels);
        var selector = new LVPruningSelector(adapter, [0.5, 0.3, 0.1], 16, PruningMode.Train, generator: new TorchSharp.torch.Generator(4));
        var result = model.Forward(batch, selector);
        var loss = CausalLmLoss.Compute(result.Logits!, batch.Labels!) + 2 * RatioLoss.Compute(result.Decoder.Stages, batch.ImageMask, [0.5, 0.3, 0.1]);
        loss.backward();
        Assert.All(model.parameters(), p => Assert.True(p.grad is null, "base model received a gradient"));
        int withGrad = adapter.parameters().Count(p => p.grad is not null && p.grad.abs().sum().ToDouble() > 0);
        Assert.True(withGrad > adapter.parameters().Count() / 2, $"only {withGrad} adapter tensors got gradients");
        foreach (var s in new[] { 0, 1, 2 })
            Assert.True(adapter.Stage(s).parameters().Any(p => p.grad is not null && p.grad.abs().sum().ToDouble() > 0), $"stage {s} got no gradient");
    }

    [Fact]
    public void RatioLossAlone_MovesEachStageKeepRateToItsTarget()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        model.SetTrainable(false);
        double[] targets = [0.7, 0.4, 0.15];
        using var adapter = LVPruningAdapter.Create(model, targets, seed: 2);
        var gen = new TorchSharp.torch.Generator(7);
        var selector = new LVPruningSelector(adapter, targets, 16, PruningMode.Train, generator: gen);
        var optimizer = optim.Adam(adapter.parameters(), lr: 3e-3);
        var batch = Batch(cfg, 4);
        double[] rates = [];
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var result = model.Forward(batch, selector, logits: LogitsMode.None);
            var loss = RatioLoss.Compute(result.Decoder.Stages, batch.ImageMask, targets);
            loss.backward();
            optimizer.step();
        }
        using (no_grad())
        {
            var sums = new double[3];
            for (int r = 0; r < 10; r++)
            {
                var result = model.Forward(batch, selector, logits: LogitsMode.None);
                var k = RatioLoss.KeepRates(result.Decoder.Stages, batch.ImageMask);
                for (int s = 0; s < 3; s++) sums[s] += k[s] / 10;
            }
            rates = sums;
        }
        for (int s = 0; s < 3; s++)
            Assert.True(Math.Abs(rates[s] - targets[s]) < 0.1, $"stage {s}: keep rate {rates[s]:F3}, target {targets[s]}");
    }

    [Fact]
    public void Inference_KeepsTopKPerStage_InOriginalOrder_WithOriginalPositions()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        using var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 5);
        var selector = new LVPruningSelector(adapter, [0.5, 0.25, 0.125], 16, PruningMode.Infer);
        Assert.Equal(new[] { 8, 4, 2 }, selector.KeepCounts);
        var batch = Batch(cfg);
        using var _ = no_grad();
        var result = model.Forward(batch, selector);
        int[] expected = [8, 4, 2];
        for (int s = 0; s < 3; s++)
        {
            var tokens = result.Decoder.Stages[s].Tokens;
            for (int b = 0; b < 2; b++)
            {
                var image = tokens.ImageIndex[b].data<long>().ToArray().Where(i => i >= 0).ToArray();
                Assert.Equal(expected[s], image.Length);
                Assert.Equal(image.OrderBy(i => i).ToArray(), image);
                var orig = tokens.OriginalIndex[b].data<long>().ToArray();
                Assert.Equal(orig.OrderBy(i => i).ToArray(), orig);
            }
            // positions are the originals: position = original index - left padding of the row
            var pad = batch.AttentionMask.eq(0).sum([1]).unsqueeze(1);
            var validPos = tokens.Valid;
            Assert.Equal(0.0, MaxDiff(tokens.PositionIds.masked_select(validPos), (tokens.OriginalIndex - pad).masked_select(validPos)));
        }
        // Keeping everything through the LVPruning path changes nothing.
        var all = new LVPruningSelector(adapter, [1, 1, 1], 16, PruningMode.Infer);
        Assert.Equal(0.0, MaxDiff(model.Forward(batch).Logits!, model.Forward(batch, all).Logits!));
    }

    [Fact]
    public void Adapter_RoundTrips_AndRefusesAnIncompatibleBase()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        using var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 9);
        var dir = Directory.CreateTempSubdirectory("lvprune-adapter").FullName;
        var path = Path.Combine(dir, "adapter.safetensors");
        adapter.Save(path);
        using var loaded = LVPruningAdapter.Load(path, model);
        Assert.Equal(adapter.Layers, loaded.Layers);
        Assert.Equal(adapter.TrainingKeep, loaded.TrainingKeep);
        var a = adapter.state_dict(); var b = loaded.state_dict();
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var k in a.Keys) Assert.Equal(0.0, MaxDiff(a[k], b[k]));

        using var other = TinyModels.Create(cfg, seed: 99);
        var e1 = Assert.Throws<LVPruneException>(() => LVPruningAdapter.Load(path, other));
        Assert.Contains("another base model", e1.Message);
        using var deeper = TinyModels.Create(TinyModels.Config(textLayers: 6));
        var e2 = Assert.Throws<LVPruneException>(() => LVPruningAdapter.Load(path, deeper));
        Assert.Contains("6 layers", e2.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void GumbelSoftmax_IsOneHotForward_WithSoftGradient()
    {
        var logits = tensor(new float[] { 2f, -1f, 0.5f, 0.5f }).view(2, 2).requires_grad_(true);
        var y = GumbelSoftmax.Hard(logits, 1.0, new TorchSharp.torch.Generator(1));
        Assert.Equal(new float[] { 1, 1 }, y.sum([1]).data<float>().ToArray());
        Assert.All(y.data<float>().ToArray(), v => Assert.True(v == 0 || v == 1));
        (y * tensor(new float[] { 1, 0, 1, 0 }).view(2, 2)).sum().backward();
        Assert.True(logits.grad!.abs().sum().ToDouble() > 0);
    }

    [Theory]
    [InlineData(32, new[] { 0, 7, 15 })]
    [InlineData(40, new[] { 0, 9, 19 })]
    [InlineData(8, new[] { 0, 1, 3 })]
    [InlineData(4, new[] { 0, 1, 2 })]
    public void DefaultLayers_FollowRelativeDepth(int depth, int[] expected) =>
        Assert.Equal(expected, KeepRatios.DefaultLayers(depth));

    [Fact]
    public void KeepRatios_ParseRhoAndCounts()
    {
        Assert.Equal(new[] { 0.5, 0.3, 0.1 }, KeepRatios.FromRho(0.5));
        Assert.Equal(new[] { 288, 172, 57 }, KeepRatios.Counts(KeepRatios.FromRho(0.5), 576));
        Assert.Equal(new[] { 1, 1, 1 }, KeepRatios.Counts([0.0, 0.0, 0.0], 576));
        Assert.Throws<LVPruneException>(() => KeepRatios.Parse("0.5,0.6"));
        Assert.Throws<LVPruneException>(() => KeepRatios.Parse("0.5,abc"));
        Assert.Throws<LVPruneException>(() => KeepRatios.FromRho(1.5));
    }
}
