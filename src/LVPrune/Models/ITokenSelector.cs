using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>Where a pruning stage acts, and what it observes there.</summary>
/// <param name="AfterLayer">0-based decoder layer after which the stage decides</param>
/// <param name="Probe">attention of that layer the decision needs (FastV: the last query's), or null</param>
public sealed record SelectionStage(int AfterLayer, AttentionProbe? Probe = null);

/// <summary>What a stage sees when it decides.</summary>
/// <param name="Stage">index into <see cref="ITokenSelector.Stages"/></param>
/// <param name="Hidden">hidden states leaving the stage's layer [B, T, D]</param>
/// <param name="Tokens">per-token state of the live sequence</param>
/// <param name="Observation">the stage's probe answered by its layer [B, T], or null</param>
/// <param name="PreviousImageKeep">the previous stage's decisions over the live image tokens [B, Nv] (training mode), or null</param>
public sealed record StageInput(int Stage, Tensor Hidden, TokenState Tokens, Tensor? Observation = null, Tensor? PreviousImageKeep = null);

/// <summary>
/// What a pruning stage decides. Inference removes tokens (<see cref="KeepIndices"/>); LVPruning's
/// training keeps every token and instead reports its decisions D over the image tokens
/// (<see cref="ImageKeep"/>, the paper's eq. 6 and 10), the keep weight of every key they imply
/// (<see cref="SoftKeep"/>, eq. 7) and the attention every following layer runs with them (the
/// masked softmax, eq. 8-9).
/// </summary>
/// <param name="KeepIndices">[B, T'] ascending positions of the tokens that go on, or null</param>
/// <param name="SoftKeep">[B, T] keep weights (1 for text), or null</param>
/// <param name="ImageKeep">[B, Nv] the decisions over the live image tokens, in their order, or null</param>
/// <param name="Attention">the attention function of the layers after this stage, or null to keep the current one</param>
/// <param name="Scores">[B, Nv] the scores the live image tokens were ranked by (with their graph in training), or null</param>
public sealed record StageDecision(Tensor? KeepIndices = null, Tensor? SoftKeep = null, Tensor? ImageKeep = null,
                                   IAttentionFunction? Attention = null, Tensor? Scores = null)
{
    public static readonly StageDecision KeepAll = new();
}

/// <summary>
/// Chooses the tokens that go on after some decoder layers, during the prompt's prefill. All
/// methods (manual keep plans, LVPruning, random, FastV) drive the one removal path in
/// <see cref="LlamaModel"/> through this interface; only the choice of tokens differs. Disposable,
/// for the selectors that own native state (a random selector's generator); others need nothing.
/// </summary>
public interface ITokenSelector : IDisposable
{
    /// <summary>The stages, by ascending layer.</summary>
    IReadOnlyList<SelectionStage> Stages { get; }

    StageDecision Decide(StageInput input);

    void IDisposable.Dispose() { }
}

public static class TokenSelectorExtensions
{
    /// <summary>The layers after which the selector's stages act.</summary>
    public static int[] StageLayers(this ITokenSelector selector) => selector.Stages.Select(s => s.AfterLayer).ToArray();
}
