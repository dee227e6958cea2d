using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Tests.Models;
using LVPrune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Training;

public class AttentionDistillationTests
{
    [Fact]
    public void RecordedAttention_EqualsADirectComputation_LayerByLayer()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var prompt = TinyModels.Prompt(4, 2, 5);
        var pixels = TinyModels.Pixels(1, 4);
        int T = prompt.Length - 1 + cfg.ImageTokens;
        // Two observed rows with unequal weights: the last token and the first text token after the image.
        int late = T - 1, early = 2 + cfg.ImageTokens;
        var rows = zeros([1, T], ScalarType.Float32);
        rows[0, late] = 3f;
        rows[0, early] = 1f;
        using var _ = no_grad();
        var recorded = model.Forward(TinyModels.Batch(cfg, [prompt], pixels), logits: LogitsMode.None, probe: AttentionProbe.WeightedRows(rows)).Decoder.Observations!;
        Assert.Equal(cfg.TextConfig.NumHiddenLayers, recorded.Count);

        // Independent: float64 reference, layer by layer.
        var reference = new ReferenceLlava(cfg, model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        var (h, isImage) = reference.Embed(prompt, pixels[0]);
        Assert.Equal(T, isImage.Length);
        var positions = Enumerable.Range(0, T).Select(i => (long)i).ToArray();
        for (int layer = 0; layer < cfg.TextConfig.NumHiddenLayers; layer++)
        {
            var expected = (3 * reference.QueryAttention(h, positions, layer, late) + reference.QueryAttention(h, positions, layer, early)) / 4;
            var got = recorded[layer][0].to(ScalarType.Float64);
            Assert.True((got - expected).abs().max().ToDouble() < 1e-5, $"layer {layer}: max diff {(got - expected).abs().max().ToDouble()}");
            Assert.Equal(1.0, got.sum().ToDouble(), 5);
            Assert.Equal(0.0, got.narrow(0, late + 1, T - late - 1).sum().ToDouble());
            h = reference.Layers(h, positions, layer, layer + 1);
        }
    }

    [Fact]
    public void PredictingRows_AreTheRowsBeforeEachLabel()
    {
        var labels = tensor(new long[,] { { -100, -100, 5, 6 }, { -100, 7, -100, -100 } });
        var rows = CausalLmLoss.PredictingRows(labels);
        Assert.Equal(new float[] { 0, 1, 1, 0, 1, 0, 0, 0 }, rows.data<float>().ToArray());
    }

    [Fact]
    public void Targets_AverageTheLayersAfterEachStage_OverTheImageTokens()
    {
        // One sample, T = 5, image tokens at 1..3; three layers; stages after layers 0 and 1.
        var isImage = tensor(new[] { false, true, true, true, false }).unsqueeze(0);
        var a0 = tensor(new float[] { 0.9f, 0.1f, 0, 0, 0 }).unsqueeze(0);
        var a1 = tensor(new float[] { 0.2f, 0.1f, 0.3f, 0.2f, 0.2f }).unsqueeze(0);
        var a2 = tensor(new float[] { 0.5f, 0.3f, 0.1f, 0.0f, 0.1f }).unsqueeze(0);
        var targets = AttentionDistillation.Targets([a0, a1, a2], [0, 1], isImage);
        // Stage 0: mean of layers 1 and 2 on tokens 1..3 = (0.2, 0.2, 0.1), normalised.
        AssertClose(new[] { 0.4, 0.4, 0.2 }, targets[0]);
        // Stage 1: layer 2 alone = (0.3, 0.1, 0.0), normalised.
        AssertClose(new[] { 0.75, 0.25, 0.0 }, targets[1]);
        Assert.Throws<LVPruneException>(() => AttentionDistillation.Targets([a0, a1, a2], [2], isImage));
    }

    [Fact]
    public void Loss_IsTheKlDivergenceOverTheLiveTokens_ZeroAtTheTeacher()
    {
        var t = tensor(new float[] { 0.5f, 0.25f, 0.125f, 0.125f }).unsqueeze(0);
        var all = ones([1, 4]);
        double entropy = -(0.5 * Math.Log(0.5) + 0.25 * Math.Log(0.25) + 2 * 0.125 * Math.Log(0.125));
        // Scores equal to log t (plus any shift): zero.
        var atTeacher = (t.log() + 7).requires_grad_(true);
        var loss = AttentionDistillation.Compute([atTeacher], [all], [t]);
        Assert.Equal(0, loss.ToDouble(), 5);
        loss.backward();
        Assert.True(atTeacher.grad!.abs().max().ToDouble() < 1e-6, "the teacher's ranking is a stationary point");
        // Uniform scores: log 4 - H(t).
        Assert.Equal(Math.Log(4) - entropy, AttentionDistillation.Compute([zeros([1, 4])], [all], [t]).ToDouble(), 5);
        // Token 0 pruned earlier: the teacher is renormalised over tokens 1..3 (0.5, 0.25, 0.25), and the
        // dropped token's score, however large, does not count.
        var alive = tensor(new float[] { 0, 1, 1, 1 }).unsqueeze(0);
        var scores = tensor(new float[] { 100, 0, 0, 0 }).unsqueeze(0);
        double entropy3 = -(0.5 * Math.Log(0.5) + 2 * 0.25 * Math.Log(0.25));
        Assert.Equal(Math.Log(3) - entropy3, AttentionDistillation.Compute([scores], [alive], [t]).ToDouble(), 5);
        // Two stages: the mean of the two.
        Assert.Equal((Math.Log(3) - entropy3 + Math.Log(4) - entropy) / 2, AttentionDistillation.Compute([scores, zeros([1, 4])], [alive, all], [t, t]).ToDouble(), 5);
    }

    [Fact]
    public void AShortRun_LowersTheAttentionLoss_AndOnlyTheAdapterLearns()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        double[] keep = [0.5, 0.25];
        using var adapter = LVPruningAdapter.Create(model, keep, [0, 2], null, seed: 3);
        var objective = new LVPruningObjective(model, adapter, keep, new LVPruningLossOptions { LambdaCausal = 0, LambdaRatio = 0, LambdaAttn = 1 }, seed: 1);
        using var optimizer = new AdamW(objective.Trainable);
        var batch = TinyModels.SupervisedBatch();
        var losses = new List<double>();
        for (int step = 0; step < 40; step++)
        {
            optimizer.ZeroGrad();
            var (loss, metrics) = objective.Compute(batch, step);
            loss.backward();
            optimizer.Update(3e-3);
            losses.Add(metrics["attn_loss"]);
        }
        double first = losses.Take(5).Average(), last = losses.TakeLast(5).Average();
        Assert.True(last < first / 2, $"attention loss (KL to the teacher) {first:F3} -> {last:F3}");
        foreach (var (name, p) in model.named_parameters()) Assert.True(before[name].eq(p).all().ToBoolean(), $"{name} changed");
    }

    private static void AssertClose(double[] expected, Tensor got)
    {
        var values = got[0].to(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], values[i], 5);
    }
}
