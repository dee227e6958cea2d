using TorchSharp.Modules;
using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>What a training run optimises, and which parameters it may change.</summary>
public interface ITrainingObjective
{
    /// <summary>A short name stored in checkpoints ("language-model", "lvpruning").</summary>
    string Kind { get; }

    /// <summary>The parameters the optimizer sees; everything else stays bit-identical.</summary>
    IReadOnlyList<(string Name, Parameter Param)> Trainable { get; }

    /// <summary>
    /// Loss for one micro-batch and the numbers to log. With <paramref name="share"/> the batch is one
    /// process's part of a global batch: the loss and every metric are this process's share of the global
    /// batch's value (they add up over the processes), except metrics named "*_max", which are maxima.
    /// </summary>
    /// <param name="share">null: the batch is the whole (global) batch</param>
    (Tensor Loss, IReadOnlyDictionary<string, double> Metrics) Compute(LlavaBatch batch, long step, BatchShare? share = null);

    /// <summary>Identity of what is trained, checked on resume (another model's checkpoint is refused).</summary>
    string Identity { get; }
}
