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

    /// <summary>Loss for one micro-batch and the numbers to log.</summary>
    (Tensor Loss, IReadOnlyDictionary<string, double> Metrics) Compute(LlavaBatch batch, long step);

    /// <summary>Identity of what is trained, checked on resume (another model's checkpoint is refused).</summary>
    string Identity { get; }
}
