using LVPrune.Distributed;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>
/// Data-parallel training's one exchange per optimizer step: the trainable parameters' gradients summed
/// over the processes (each process's loss is already its share of the global batch's mean, see
/// <see cref="BatchShare"/>, so the sum is the global batch's gradient). Before clipping and the
/// optimizer, which then do the same thing on every process.
/// </summary>
public static class GradientReduction
{
    public static void SumAcross(IProcessGroup group, IReadOnlyList<(string Name, Parameter Param)> trainable)
    {
        if (group.Size == 1) return;
        using var scope = NewDisposeScope();
        // Which parameters have a gradient somewhere: one that none has is skipped, as the optimizer skips it
        // alone; one that only some have gets zeros on the others, so every process reduces the same list.
        var present = new float[trainable.Count];
        for (int i = 0; i < trainable.Count; i++) present[i] = trainable[i].Param.grad is null ? 0 : 1;
        group.AllReduceSum(present);
        var grads = new List<Tensor>();
        using var noGrad = no_grad();
        for (int i = 0; i < trainable.Count; i++)
        {
            if (present[i] == 0) continue;
            var p = trainable[i].Param;
            if (p.grad is null) p.grad = zeros_like(p);
            grads.Add(p.grad!);
        }
        group.AllReduceSum(grads);
    }
}
