using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Pruning;

/// <summary>The paper's equations, each against an independent computation.</summary>
public class PaperEquationTests
{
    private static LlavaBatch Batch(LVPrune.Checkpoints.LlavaConfig cfg) =>
        TinyModels.Batch(cfg, [TinyModels.Prompt(30, 2, 4), TinyModels.Prompt(31, 3, 6)], TinyModels.Pixels(2, 8));

    private static double[] Row(Tensor t, int b) => t[b].to(ScalarType.Float64).data<double>().ToArray();

    [Fact]
    public void Eq10_TheRealSelector_KeepsAtEachStageOnlyWhatEveryEarlierStageKept()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        double[] keep = [0.5, 0.3, 0.1];
        using var adapter = LVPruningAdapter.Create(model, keep, seed: 3);
        using var batch = Batch(cfg);
        using var generator = new TorchSharp.torch.Generator(11);
        using var _ = no_grad();
        using var selector = new LVPruningSelector(adapter, keep, cfg.ImageTokens, PruningMode.Train, gumbelTau: 1.0, generator: generator);
        var stages = model.Forward(batch, selector, logits: LogitsMode.None).Decoder.Stages;

        // Independent replay in float64: the same generator draws U [B, N, 2] per stage (eq. 5's Gumbel noise);
        // the hard sample keeps token i iff gamma_0 + g_0 > gamma_1 + g_1, i.e. score > g_1 - g_0 (eq. 6), and
        // eq. 10 multiplies that with every earlier stage's decision.
        using var replay = new TorchSharp.torch.Generator(11);
        int B = 2, N = cfg.ImageTokens;
        var previous = Enumerable.Range(0, B).Select(_ => Enumerable.Repeat(1.0, N).ToArray()).ToArray();
        int vetoed = 0;
        for (int s = 0; s < stages.Count; s++)
        {
            var u = rand([B, N, 2], ScalarType.Float32, generator: replay).clamp(1e-10, 1.0 - 1e-7).to(ScalarType.Float64);
            var g = -(-u.log()).log();
            for (int b = 0; b < B; b++)
            {
                var score = Row(stages[s].Scores!, b);
                var g0 = Row(g.select(-1, 0), b);
                var g1 = Row(g.select(-1, 1), b);
                var got = Row(stages[s].ImageKeep!, b);
                var isImage = stages[s].Tokens.ImageIndex[b].data<long>().ToArray().Select(i => i >= 0).ToArray();
                var soft = Row(stages[s].SoftKeep!, b);
                var softOnImage = soft.Where((_, t) => isImage[t]).ToArray();
                for (int i = 0; i < N; i++)
                {
                    double margin = score[i] - (g1[i] - g0[i]);
                    Assert.True(Math.Abs(margin) > 1e-4, $"stage {s} row {b} token {i}: a near tie ({margin}) the two computations may break differently");
                    double own = margin > 0 ? 1 : 0;
                    double expected = previous[b][i] * own;
                    if (own == 1 && previous[b][i] == 0) vetoed++;
                    Assert.Equal(expected, got[i]);
                    Assert.Equal(expected, softOnImage[i]);                    // eq. 7's D on the image keys
                    previous[b][i] = expected;
                }
                Assert.All(soft.Where((_, t) => !isImage[t]), v => Assert.Equal(1.0, v)); // text keys keep weight 1
            }
        }
        Assert.True(vetoed > 0, "no token was kept by a later stage's own decision after an earlier stage dropped it: eq. 10 was not exercised");
    }

    [Fact]
    public void Eq10_IsThePurePreviousTimesCurrent()
    {
        var previous = tensor(new float[] { 1, 0, 1, 0 }).view(1, 4);
        var current = tensor(new float[] { 1, 1, 0, 0 }).view(1, 4);
        Assert.Equal(new float[] { 1, 0, 0, 0 }, CumulativeDecisions.Apply(previous, current).data<float>().ToArray());
        Assert.Same(current, CumulativeDecisions.Apply(null, current));
    }

    [Fact]
    public void Eq7To9_TheMaskedSoftmax_EqualsItsDefinitionInFloat64()
    {
        // Scores of 2 heads, 4 queries at positions 3..6 over 7 keys (3 cached), causal; keys 1, 2 and 5 are image tokens.
        var gen = new TorchSharp.torch.Generator(2);
        int B = 1, H = 2, Tq = 4, Tk = 7, past = 3;
        var raw = randn([B, H, Tq, Tk], generator: gen);
        var causal = new bool[Tq, Tk];
        for (int i = 0; i < Tq; i++) for (int j = 0; j < Tk; j++) causal[i, j] = j <= past + i;
        var scores = raw.masked_fill(tensor(causal).logical_not().view(1, 1, Tq, Tk), double.NegativeInfinity); // A_bar
        double[] d = [1, 0.25, 0, 1, 1, 0.5, 1];
        bool[] image = [false, true, true, false, false, true, false];
        var got = MaskedSoftmax.Probabilities(scores, past, tensor(d.Select(x => (float)x).ToArray()).view(1, Tk), tensor(image).view(1, Tk));

        var a = raw.to(ScalarType.Float64).data<double>().ToArray();
        var p = got.to(ScalarType.Float64).data<double>().ToArray();
        for (int h = 0; h < H; h++)
            for (int i = 0; i < Tq; i++)
            {
                // eq. 7: M[i, j] = 1 on the diagonal (query i is key past + i) and on text keys, else D[j]; eq. 9 over the
                // visible keys, computed as documented: the row maximum subtracted, epsilon added to the denominator.
                double M(int j) => j == past + i || !image[j] ? 1 : d[j];
                var visible = Enumerable.Range(0, Tk).Where(j => causal[i, j]).ToArray();
                double max = visible.Max(j => a[(h * Tq + i) * Tk + j]);
                double denominator = visible.Sum(j => Math.Exp(a[(h * Tq + i) * Tk + j] - max) * M(j)) + MaskedSoftmax.Epsilon;
                for (int j = 0; j < Tk; j++)
                {
                    double want = causal[i, j] ? Math.Exp(a[(h * Tq + i) * Tk + j] - max) * M(j) / denominator : 0;
                    Assert.True(Math.Abs(p[(h * Tq + i) * Tk + j] - want) < 1e-5, $"head {h} query {i} key {j}: {p[(h * Tq + i) * Tk + j]} vs {want}");
                }
            }
        // A key with D = 0 receives nothing from other queries, but its own row still sees it (the diagonal).
        Assert.Equal(0.0, p[(0 * Tq + 0) * Tk + 2]);
    }

    [Fact]
    public void Eq13To14_InferenceTopK_EqualsAnIndependentRanking_StageByStage_WithOriginalPositions()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        double[] keep = [0.5, 0.25, 0.125];
        using var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 5);
        var prompt = TinyModels.Prompt(9, 2, 5);
        var pixels = TinyModels.Pixels(1, 9);
        using var _ = no_grad();
        using var selector = new LVPruningSelector(adapter, keep, cfg.ImageTokens, PruningMode.Infer);
        var stages = model.Forward(TinyModels.Batch(cfg, [prompt], pixels), selector, logits: LogitsMode.None).Decoder.Stages;

        // Independent: float64 reference hidden states, the stage's module on them, a LINQ ranking, the
        // reference run on the kept rows at their original positions.
        var reference = new ReferenceLlava(cfg, model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        var (h, isImage) = reference.Embed(prompt, pixels[0]);
        int T = isImage.Length;
        var rows = Enumerable.Range(0, T).ToArray();                  // original indices of the live rows
        var imageIndex = new int[T];
        for (int i = 0, k = 0; i < T; i++) imageIndex[i] = isImage[i] ? k++ : -1;
        int previousLayer = 0;
        int[] counts = KeepRatios.Counts(keep, cfg.ImageTokens);
        for (int s = 0; s < 3; s++)
        {
            int layer = adapter.Layers[s];
            h = reference.Layers(h, rows.Select(i => (long)i).ToArray(), previousLayer, layer + 1);
            previousLayer = layer + 1;
            var live = Enumerable.Range(0, rows.Length).Where(r => isImage[rows[r]]).ToArray();
            var text = Enumerable.Range(0, rows.Length).Where(r => !isImage[rows[r]]).ToArray();
            var vision = h.index_select(0, tensor(live.Select(r => (long)r).ToArray())).to(ScalarType.Float32).unsqueeze(0);
            var guide = h.index_select(0, tensor(text.Select(r => (long)r).ToArray())).to(ScalarType.Float32).unsqueeze(0);
            var gamma = adapter.Stage(s).Forward(vision, guide, ones([1, text.Length], ScalarType.Bool))[0].to(ScalarType.Float64);
            var score = (gamma.select(-1, 0) - gamma.select(-1, 1)).data<double>().ToArray();
            var ranked = live.Select((r, j) => (Image: imageIndex[rows[r]], Score: score[j])).OrderByDescending(x => x.Score).ToList();
            var expected = ranked.Take(counts[s]).Select(x => (long)x.Image).Order().ToArray();
            Assert.True(ranked[counts[s] - 1].Score - ranked[counts[s]].Score > 1e-4, $"stage {s}: a near tie at the cut");

            var kept = stages[s].Tokens.ImageIndex[0].data<long>().ToArray().Where(i => i >= 0).ToArray();
            Assert.Equal(expected, kept);
            // eq. 14: the kept tokens carry their original positions (no padding: position = original index).
            var positions = stages[s].Tokens.PositionIds[0].data<long>().ToArray();
            var original = stages[s].Tokens.OriginalIndex[0].data<long>().ToArray();
            Assert.Equal(original, positions);

            var survive = Enumerable.Range(0, rows.Length).Where(r => !isImage[rows[r]] || expected.Contains(imageIndex[rows[r]])).ToArray();
            h = h.index_select(0, tensor(survive.Select(r => (long)r).ToArray()));
            rows = survive.Select(r => rows[r]).ToArray();
        }
    }
}
