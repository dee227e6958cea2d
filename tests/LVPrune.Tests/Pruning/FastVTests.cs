using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;
using LVPrune.Flops;

namespace LVPrune.Tests.Pruning;

public class FastVTests
{
    [Theory]
    [InlineData(2, 0.5)]
    [InlineData(3, 0.25)]
    public void Ranking_EqualsADirectComputationFromTheAttentionWeights(int k, double share)
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var prompt = TinyModels.Prompt(6, 2, 5);
        var pixels = TinyModels.Pixels(1, 6);
        using var _ = no_grad();
        var selector = new FastVSelector(k, share, 16, cfg.TextConfig.NumHiddenLayers);
        var result = model.Forward(TinyModels.Batch(cfg, [prompt], pixels), selector);
        var kept = result.Decoder.Stages[0].Tokens.ImageIndex[0].data<long>().ToArray().Where(i => i >= 0).ToHashSet();

        // Independent: float64 reference, attention of the last prompt token in layer K-1, averaged over heads.
        var reference = new ReferenceLlava(cfg, model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        var (h, isImage) = reference.Embed(prompt, pixels[0]);
        var positions = Enumerable.Range(0, isImage.Length).Select(i => (long)i).ToArray();
        h = reference.Layers(h, positions, 0, k - 1);
        var attention = reference.LastQueryAttention(h, positions, k - 1);                // [T]
        var image = Enumerable.Range(0, isImage.Length).Where(i => isImage[i]).ToArray();
        var scores = image.Select((pos, j) => (j, attention[pos].ToDouble())).OrderByDescending(x => x.Item2).ToList();
        int count = LVPrune.Flops.FlopsModel.KeptVisionTokens(share, 16);
        var expected = scores.Take(count).Select(x => (long)x.j).ToHashSet();
        Assert.Equal(count, kept.Count);
        Assert.True(expected.SetEquals(kept), $"FastV kept [{string.Join(",", kept.Order())}], direct ranking [{string.Join(",", expected.Order())}]");
        // The margin at the cut is real (not a tie the two computations could order differently).
        Assert.True(scores[count - 1].Item2 - scores[count].Item2 > 1e-6);
    }

    [Fact]
    public void EqualCostShare_MatchesLVPruningTflops()
    {
        var shape = LVPrune.Flops.FlopsShape.Llava15_7B;
        double target = LVPrune.Flops.FlopsModel.Compute(shape, 30, [0.5, 0.3, 0.1]).TotalTflops;
        double share = FastVBudget.MatchShare(shape, 30, 2, target);
        Assert.InRange(FastVBudget.Tflops(shape, 30, 2, share), target * 0.99, target * 1.01);
    }
}
