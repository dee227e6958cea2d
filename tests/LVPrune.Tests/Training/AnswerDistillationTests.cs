using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Training;

public class AnswerDistillationTests
{
    [Fact]
    public void IsTheRelativeSquaredError_OnTheRowsThatPredictAnswers()
    {
        var teacher = randn([2, 5, 4], generator: new TorchSharp.torch.Generator(3));
        var labels = tensor(new long[,] { { -100, -100, -100, 7, 2 }, { -100, -100, 9, -100, -100 } }); // rows 2, 3 of sample 0 and row 1 of sample 1
        var hidden = teacher.clone();
        Assert.Equal(0.0, AnswerDistillation.Compute(hidden, teacher, labels).ToDouble());
        hidden[0, 2] = teacher[0, 2] * 1.1f;                    // relative error 0.01
        hidden[1, 1] = teacher[1, 1] * 0.5f;                    // relative error 0.25
        hidden[0, 0] = teacher[0, 0] * 100f;                    // not an answer row: ignored
        hidden[0, 4] = teacher[0, 4] * 100f;                    // the last row predicts nothing: ignored
        Assert.Equal((0.01 + 0 + 0.25) / 3, AnswerDistillation.Compute(hidden, teacher, labels).ToDouble(), 5);
    }

    [Fact]
    public void IsZero_WhenTheAdapterKeepsEverything_AndReachesOnlyTheAdapter()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg);
        var batch = TinyModels.SupervisedBatch();
        double[] keep = [0.5, 0.3, 0.1];
        var options = new LVPruningLossOptions { LambdaDistill = 1 };

        using var keepAll = LVPruningAdapter.Create(model, keep, seed: 3);
        using (no_grad()) foreach (var (name, p) in keepAll.named_parameters())
            if (name.EndsWith("score.bias")) p.copy_(tensor(new float[] { 50, -50 })); // every Gumbel draw says keep
        var (_, metrics) = new LVPruningObjective(model, keepAll, keep, options, seed: 1).Compute(batch, 0);
        Assert.True(metrics["distill_loss"] < 1e-8, $"pruning nothing must change nothing: {metrics["distill_loss"]}");

        using var adapter = LVPruningAdapter.Create(model, keep, seed: 3);
        var (loss, m) = new LVPruningObjective(model, adapter, keep, options, seed: 1).Compute(batch, 0);
        Assert.True(m["distill_loss"] > 1e-6, "pruning about half the image must move the answer rows");
        loss.backward();
        Assert.All(model.parameters(), p => Assert.True(p.grad is null, "the frozen base received a gradient"));
        Assert.Contains(adapter.parameters(), p => p.grad is not null && p.grad.abs().sum().ToDouble() > 0);
    }
}
