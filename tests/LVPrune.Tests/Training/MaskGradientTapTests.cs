using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Training;

public class MaskGradientTapTests
{
    private static Dictionary<string, Tensor> Gradients(LVPruningAdapter adapter, LVPrune.Models.LlavaForConditionalGeneration model, double clip, double lambdaDistill = 0)
    {
        foreach (var p in adapter.parameters()) p.grad?.zero_();
        var objective = new LVPruningObjective(model, adapter, [0.5], new LVPruningLossOptions { LambdaRatio = 2, MaskGradClip = clip, LambdaDistill = lambdaDistill }, seed: 5);
        var (loss, _) = objective.Compute(TinyModels.SupervisedBatch(), 3);
        loss.backward();
        return adapter.named_parameters().ToDictionary(n => n.name, n => n.parameter.grad!.clone());
    }

    [Fact]
    public void WithAClipNoGradientReaches_ItChangesNothing_AndASmallClipBoundsIt()
    {
        // One stage, so the module's input does not depend on an earlier mask: with a bound no gradient
        // reaches, the tapped gradient must equal the plain one (same Gumbel draws, same loss).
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        using var adapter = LVPruningAdapter.Create(model, [0.5], [1], null, seed: 3);
        foreach (double distill in new[] { 0.0, 1.0 })
        {
            var plain = Gradients(adapter, model, 0, distill);
            var tapped = Gradients(adapter, model, 1e12, distill);
            foreach (var (name, g) in plain)
            {
                double scale = g.abs().max().ToDouble() + 1e-12;
                Assert.True((g - tapped[name]).abs().max().ToDouble() / scale < 1e-4, $"{name} (distill {distill})");
            }
            Assert.Contains(plain.Values, g => g.abs().sum().ToDouble() > 0);
        }
        // A bound far below the gradients: every image entry clamped, so the gradient is much smaller.
        var objective = new LVPruningObjective(model, adapter, [0.5], new LVPruningLossOptions { LambdaRatio = 0, MaskGradClip = 1e-9 }, seed: 5);
        var (_, metrics) = objective.Compute(TinyModels.SupervisedBatch(), 3);
        Assert.True(metrics["mask_grad_clamped"] > 0.9, $"{metrics["mask_grad_clamped"]}");
        Assert.True(metrics["mask_grad_max"] > 1e-9);
    }
}
