using LVPrune.Checkpoints;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Text;
using LVPrune.Toy;
using LVPrune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Training;

/// <summary>A tiny checkpoint plus a small ShapesVQA set it can train on.</summary>
public sealed class TrainingFixture : IDisposable
{
    public TinyCheckpoint Checkpoint { get; } = new(seed: 3);
    public string Data { get; }

    public TrainingFixture()
    {
        string dir = Path.Combine(Checkpoint.Dir, "data");
        ShapesVqaWriter.Write(dir, count: 24, seed: 9, minObjects: 1, maxObjects: 3, imageSize: 64);
        Data = Path.Combine(dir, ShapesVqaWriter.DataFileName);
    }

    public LlavaForConditionalGeneration Model() => ModelLoader.Load(Checkpoint.Dir);

    public TrainingSet Set(LlavaForConditionalGeneration model) =>
        TrainingSet.Load(Data, Checkpoint.Dir, model.Config, LlavaTokenizer.Load(Checkpoint.Dir), new PromptConfig(), ResizeMode.PadToSquare, 256);

    public void Dispose() => Checkpoint.Dispose();
}

public class TrainerTests : IClassFixture<TrainingFixture>
{
    private readonly TrainingFixture _f;
    public TrainerTests(TrainingFixture f) => _f = f;

    private static TrainerOptions Options(long steps) => new() { BatchSize = 4, LearningRate = 3e-3, MaxSteps = steps, SaveEvery = 0, Seed = 5, WarmupRatio = 0 };

    private string TempDir() => Directory.CreateTempSubdirectory("lvprune-train").FullName;

    private static Dictionary<string, Tensor> Snapshot(nn.Module m) => m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

    private static double FixedBatchLoss(ITrainingObjective objective, TrainingSet set)
    {
        using var _ = no_grad();
        using var batch = set.Batch([0, 1, 2, 3, 4, 5, 6, 7]);
        return objective.Compute(batch, 0).Loss.ToDouble();
    }

    [Fact]
    public void AFewSteps_LowerTheLoss()
    {
        using var model = _f.Model();
        var set = _f.Set(model);
        var objective = new LanguageModelObjective(model);
        double before = FixedBatchLoss(objective, set);
        Trainer.Run(objective, set, Options(12), TempDir(), false, CancellationToken.None);
        double after = FixedBatchLoss(objective, set);
        Assert.True(after < before * 0.9, $"loss {before:F4} -> {after:F4}");
    }

    [Fact]
    public void ResumingFromACheckpoint_ReproducesTheUninterruptedRunExactly()
    {
        using var a = _f.Model();
        Trainer.Run(new LanguageModelObjective(a), _f.Set(a), Options(6), TempDir(), false, CancellationToken.None);

        using var b = _f.Model();
        string dir = TempDir();
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            Trainer.Run(new LanguageModelObjective(b), _f.Set(b), Options(6), dir, false, cancel.Token, e => { if (e.Step == 3) cancel.Cancel(); }));
        Assert.Equal(3, TrainCheckpoint.Read(dir).Step);
        using var c = _f.Model(); // a fresh process would start from the base weights again
        Trainer.Run(new LanguageModelObjective(c), _f.Set(c), Options(6), dir, true, CancellationToken.None);

        var expected = a.state_dict(); var actual = c.state_dict();
        foreach (var key in expected.Keys)
            Assert.True(expected[key].Equals(actual[key]), $"{key} differs after resume");
        Assert.Equal(6, File.ReadAllLines(Path.Combine(dir, Trainer.LogName)).Length);
    }

    [Fact]
    public void ResumingTheCheckpointOfAnotherModel_IsRefused_AndNothingIsOverwritten()
    {
        using var a = _f.Model();
        string dir = TempDir();
        Trainer.Run(new LanguageModelObjective(a, ["multi_modal_projector"]), _f.Set(a), Options(2), dir, false, CancellationToken.None);
        var before = File.ReadAllText(Path.Combine(dir, TrainCheckpoint.JsonName));
        using var other = TinyModels.Create(a.Config, seed: 77);
        var e = Assert.Throws<LVPruneException>(() => Trainer.Run(new LanguageModelObjective(other, ["multi_modal_projector"]), _f.Set(a), Options(4), dir, true, CancellationToken.None));
        Assert.Contains("another model", e.Message);
        Assert.Equal(before, File.ReadAllText(Path.Combine(dir, TrainCheckpoint.JsonName)));
        // A fresh run into a folder that already holds a checkpoint is refused too.
        Assert.Throws<LVPruneException>(() => Trainer.Run(new LanguageModelObjective(a), _f.Set(a), Options(2), dir, false, CancellationToken.None));
    }

    [Fact]
    public void ParametersOutsideThePolicy_StayBitIdentical()
    {
        using var model = _f.Model();
        var before = Snapshot(model);
        Trainer.Run(new LanguageModelObjective(model, ["multi_modal_projector"]), _f.Set(model), Options(3), TempDir(), false, CancellationToken.None);
        foreach (var (key, value) in model.state_dict())
        {
            bool same = before[key].Equals(value);
            if (key.StartsWith("multi_modal_projector")) Assert.False(same, $"{key} did not train");
            else Assert.True(same, $"{key} changed outside the policy");
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void AdapterTraining_MovesKeepRatesToTargets_LowersPrunedLoss_AndLeavesTheBaseBitIdentical(double maskGradClip)
    {
        using var model = _f.Model();
        var before = Snapshot(model);
        // One fixed batch of four: the adapter can only lower the pruned loss by choosing better tokens for it.
        var set = TrainingSet.Load(_f.Data, _f.Checkpoint.Dir, model.Config, LlavaTokenizer.Load(_f.Checkpoint.Dir), new PromptConfig(), ResizeMode.PadToSquare, 256, limit: 4);
        double[] keep = [0.75, 0.5, 0.25];
        using var adapter = LVPruningAdapter.Create(model, keep, seed: 4);
        var objective = new LVPruningObjective(model, adapter, keep, new LVPruningLossOptions { LambdaRatio = 10, MaskGradClip = maskGradClip }, seed: 2);
        var logs = new List<TrainStepLog>();
        double prunedBefore = PrunedLoss(model, adapter, keep, set);
        Trainer.Run(objective, set, Options(60) with { LearningRate = 1e-2, Epochs = 60 }, TempDir(), false, CancellationToken.None, logs.Add);
        double prunedAfter = PrunedLoss(model, adapter, keep, set);
        var last = logs.TakeLast(8).ToList();
        for (int s = 0; s < 3; s++)
        {
            double rate = last.Average(l => l.Metrics[$"keep_{s}"]);
            Assert.True(Math.Abs(rate - keep[s]) < 0.12, $"stage {s}: keep rate {rate:F3}, target {keep[s]}");
        }
        Assert.True(prunedAfter < prunedBefore, $"LM loss under pruning {prunedBefore:F4} -> {prunedAfter:F4}");
        foreach (var (key, value) in model.state_dict()) Assert.True(before[key].Equals(value), $"base weight {key} changed");
    }

    [Fact]
    public void RemovalDraws_FollowShareRangeAndSeed()
    {
        using var model = _f.Model();
        using var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 1);
        var removal = new RemovalAugmentation { Share = 0.3, RhoMin = 0.4, RhoMax = 0.7 };
        var draws = Enumerable.Range(0, 2000).Select(t => removal.Draw(t, 11, adapter, model.Decoder.LayerCount, model.Config.ImageTokens)).ToList();
        var taken = draws.Where(d => d is not null).Select(d => d!.Value).ToList();
        Assert.InRange(taken.Count / 2000.0, 0.26, 0.34);
        Assert.All(taken, d => Assert.InRange(d.Rho, 0.4, 0.7));
        Assert.InRange(taken.Count(d => d.ByAdapter) / (double)taken.Count, 0.4, 0.6);
        Assert.All(taken, d => Assert.Equal(adapter.Layers, d.Selector.StageLayers()));
        // The same (seed, step) draws the same; without an adapter every removal is random.
        for (int t = 0; t < 50; t++)
            Assert.Equal(draws[t]?.Rho, removal.Draw(t, 11, adapter, model.Decoder.LayerCount, model.Config.ImageTokens)?.Rho);
        Assert.All(Enumerable.Range(0, 200).Select(t => removal.Draw(t, 11, null, model.Decoder.LayerCount, model.Config.ImageTokens)),
                   d => Assert.False(d?.ByAdapter ?? false));
        Assert.Null(new RemovalAugmentation { Share = 0 }.Draw(0, 11, adapter, model.Decoder.LayerCount, model.Config.ImageTokens));
    }

    [Fact]
    public void TrainingWithRemoval_LowersThePrunedLoss_AndResumesExactly()
    {
        var removal = new RemovalAugmentation { Share = 0.7, RhoMin = 0.3, RhoMax = 0.5 };
        double[] keep = [0.4, 0.2, 0.05];
        LanguageModelObjective Objective(LlavaForConditionalGeneration m, LVPruningAdapter ad) => new(m, null, removal, ad, seed: 3);

        using var a = _f.Model();
        using var adapterA = LVPruningAdapter.Create(a, keep, seed: 4);
        var set = _f.Set(a);
        double before = PrunedLoss(a, adapterA, keep, set);
        var logs = new List<TrainStepLog>();
        Trainer.Run(Objective(a, adapterA), set, Options(8), TempDir(), false, CancellationToken.None, logs.Add);
        double after = PrunedLoss(a, adapterA, keep, set);
        Assert.True(after < before * 0.9, $"pruned loss {before:F4} -> {after:F4}");
        // Both kinds of removal and plain steps occurred, and the adapter itself did not train.
        Assert.Contains(logs, l => l.Metrics["removal_rho"] == 0);
        Assert.Contains(logs, l => l.Metrics["removal_adapter"] == 1);
        Assert.Contains(logs, l => l.Metrics["removal_rho"] > 0 && l.Metrics["removal_adapter"] == 0);

        using var b = _f.Model();
        using var adapterB = LVPruningAdapter.Create(b, keep, seed: 4);
        var adapterBefore = Snapshot(adapterB);
        string dir = TempDir();
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            Trainer.Run(Objective(b, adapterB), _f.Set(b), Options(8), dir, false, cancel.Token, e => { if (e.Step == 4) cancel.Cancel(); }));
        using var c = _f.Model();
        using var adapterC = LVPruningAdapter.Create(c, keep, seed: 4);
        Trainer.Run(Objective(c, adapterC), _f.Set(c), Options(8), dir, true, CancellationToken.None);
        var expected = a.state_dict(); var actual = c.state_dict();
        foreach (var key in expected.Keys) Assert.True(expected[key].Equals(actual[key]), $"{key} differs after resume");
        foreach (var (key, value) in adapterB.state_dict()) Assert.True(adapterBefore[key].Equals(value), $"adapter weight {key} changed");
    }

    /// <summary>The language-model loss with real (inference-mode) removal, labels gathered to the kept tokens.</summary>
    private static double PrunedLoss(LlavaForConditionalGeneration model, LVPruningAdapter adapter, double[] keep, TrainingSet set)
    {
        using var _ = no_grad();
        using var batch = set.Batch(Enumerable.Range(0, set.Count).ToList());
        var result = model.Forward(batch, new LVPruningSelector(adapter, keep, model.Config.ImageTokens, PruningMode.Infer));
        var labels = batch.Labels!.gather(1, result.Decoder.Tokens.OriginalIndex);
        return CausalLmLoss.Compute(result.Logits!, labels).ToDouble();
    }
}
