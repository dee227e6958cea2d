using LVPrune.Models;
using LVPrune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Training;

public class ObjectiveGradientTests
{
    [Fact]
    public void LanguageModelLoss_ReachesEveryParameterOnThePath_IncludingTheVisionTower()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var objective = new LanguageModelObjective(model);
        var (loss, _) = objective.Compute(TinyModels.SupervisedBatch(), 0);
        loss.backward();
        // Layers after the feature layer and CLIP's post_layernorm are not on the path; everything else must get a gradient.
        var unused = new[] { "vision_tower.vision_model.post_layernorm", $"vision_tower.vision_model.encoder.layers.{cfg.VisionLayersToRun}." };
        foreach (var (name, p) in model.named_parameters())
        {
            if (unused.Any(u => name.StartsWith(u, StringComparison.Ordinal))) continue;
            Assert.True(p.grad is not null && p.grad.abs().sum().ToDouble() > 0, $"{name} got no gradient");
        }
    }

    [Fact]
    public void PartialPolicy_TrainsOnlyTheChosenPrefix()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var objective = new LanguageModelObjective(model, ["multi_modal_projector"]);
        Assert.All(objective.Trainable, t => Assert.StartsWith("multi_modal_projector", t.Name));
        Assert.Equal(4, objective.Trainable.Count);
        Assert.Throws<LVPruneException>(() => new LanguageModelObjective(model, ["no_such_module"]));
    }
}
