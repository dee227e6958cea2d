using LVPrune.Models;
using LVPrune.Pruning;
using static TorchSharp.torch;

namespace LVPrune.Tests.Models;

/// <summary>
/// Rows prefilled apart and gathered into one cache (continuous batching) decode as they do alone. The case
/// that matters: a row pruned after layer 1 next to a longer unpruned row gives layers 0-1 and 2-3 the same
/// length but different padding, so a decode step's mask may not be shared between them.
/// </summary>
public class KvCacheGatherTests
{
    [Fact]
    public void DecodeOverGatheredRows_EqualsEachRowAlone()
    {
        using var model = TinyModels.Create();
        var cfg = model.Config;
        var text = cfg.TextConfig;
        using var noGrad = no_grad();
        // Row 0: 28 tokens, unpruned. Row 1: 24 tokens, 12 after layer 1 (4 of its 16 image tokens kept).
        var prompts = new[] { TinyModels.Prompt(3, 2, 9), TinyModels.Prompt(4, 2, 5) };
        using var random = new RandomSelector([1], [0.25], cfg.ImageTokens, 5);
        var selectors = new ITokenSelector?[] { null, random };
        var caches = new KvCache[2];
        var next = new long[2];
        var positions = new long[2];
        for (int b = 0; b < 2; b++)
        {
            using var scope = NewDisposeScope();
            using var batch = TinyModels.Batch(cfg, [prompts[b]], TinyModels.Pixels(1, 10 + b));
            caches[b] = new KvCache(text.NumHiddenLayers, 1, text.KvHeads, (int)batch.Length + 4, text.HeadDimension, ScalarType.Float32, CPU);
            var output = model.Forward(batch, selectors[b], caches[b], LogitsMode.Last);
            next[b] = output.Logits!.argmax(-1).data<long>()[0];
            positions[b] = prompts[b].Length - 1 + cfg.ImageTokens;
        }
        Assert.Equal([28, 28, 28, 28], Enumerable.Range(0, 4).Select(l => caches[0][l].Length));
        Assert.Equal([24, 24, 12, 12], Enumerable.Range(0, 4).Select(l => caches[1][l].Length));

        using var gathered = KvCache.Gather([(caches[0], 0), (caches[1], 0)], room: 3);
        Assert.True(gathered.HasPadding);
        Assert.False(gathered.LayersPadAlike);  // so decode masks are built per layer
        Assert.True(caches[1].LayersPadAlike);
        for (int l = 0; l < 4; l++)
        {
            int pad = l < 2 ? 4 : 16;
            Assert.Equal(28, gathered[l].Length);
            Assert.Equal(Enumerable.Repeat(false, pad).Concat(Enumerable.Repeat(true, 28 - pad)), gathered[l].Valid[1].narrow(0, 0, 28).data<bool>().ToArray());
            Assert.True(gathered[l].K[1].narrow(1, 0, pad).eq(0).all().item<bool>(), $"layer {l}: padding keys are zero");
            Assert.True(gathered[l].V[1].narrow(1, 0, pad).eq(0).all().item<bool>(), $"layer {l}: padding values are zero");
            Assert.True(gathered[l].K[1].narrow(1, pad, 28 - pad).eq(caches[1][l].K[0].narrow(1, 0, 28 - pad)).all().item<bool>(), $"layer {l}: row 1's keys");
            Assert.True(gathered[l].V[0].narrow(1, 0, 28).eq(caches[0][l].V[0].narrow(1, 0, 28)).all().item<bool>(), $"layer {l}: row 0's values");
        }

        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            var together = model.DecodeStep(tensor(next, [2, 1]), tensor(positions, [2, 1]), gathered);                // [2, 1, V]
            for (int b = 0; b < 2; b++)
            {
                var alone = model.DecodeStep(tensor(new[] { next[b] }, [1, 1]), tensor(new[] { positions[b] }, [1, 1]), caches[b]); // [1, 1, V]
                Assert.True(together.narrow(0, b, 1).allclose(alone, rtol: 1e-4, atol: 1e-5), $"step {step}, row {b}: logits differ from the row alone");
                next[b] = alone.argmax(-1).data<long>()[0];
                positions[b]++;
            }
        }
        foreach (var c in caches) c.Dispose();
    }
}
