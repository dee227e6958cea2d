using LVPrune.Checkpoints;
using LVPrune.Cli;
using LVPrune.Generation;
using LVPrune.Pruning;
using LVPrune.Toy;
using LVPrune.Models;
using LVPrune.Recipes;

namespace LVPrune.Tests.Toy;

/// <summary>The bundled toy model and adapter: they load strictly, and greedy answers on the demo's scene
/// equal the answers recorded when they were bundled (a numerical regression check of the whole path).</summary>
public class BundledModelTests
{
    private static string Dir => CommonOptions.BundledModel;

    [Fact]
    public void BundledModelAndAdapter_GiveTheRecordedGreedyAnswers()
    {
        Assert.True(File.Exists(Path.Combine(Dir, "model.safetensors")), $"bundled model missing at {Dir}");
        using var pipeline = new LlavaPipeline(ModelLoader.Load(Dir), Dir);
        using var adapter = LVPruningAdapter.Load(Path.Combine(Dir, "lvpruning.safetensors"), pipeline.Model);
        Assert.Equal([0, 1, 3], adapter.Layers);
        var selector = new LVPruningSelector(adapter, adapter.TrainingKeep, pipeline.Model.Config.ImageTokens, PruningMode.Infer);
        var (image, questions) = ToyDemo.Scene(2024);
        var answers = ToyDemo.Run(pipeline, image, questions, selector);
        Assert.Equal(["count", "size", "position", "exist", "shape", "color"], answers.Select(a => a.Family));
        Assert.Equal(["2", "large", "bottom", "yes", "circle", "blue"], answers.Select(a => a.Full.Text));
        Assert.Equal(["2", "large", "bottom", "yes", "circle", "blue"], answers.Select(a => a.Pruned!.Text));
        Assert.All(answers, a => Assert.Equal([72, 43, 14], a.Pruned!.Stages.Select(s => s.KeptImageTokens.Length)));
    }

    [Fact]
    public void Demo_RunsOnTheBundledModel()
    {
        var outDir = Directory.CreateTempSubdirectory("lvprune-demo").FullName;
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, CliApp.Run(["demo", "--out", outDir], o, e));
        Assert.Contains("with LVPruning", o.ToString());
        Assert.True(File.Exists(Path.Combine(outDir, "demo-scene.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "demo-pruning.png")));
    }
}
