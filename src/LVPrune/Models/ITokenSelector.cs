using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// What a pruning stage decides. Inference removes tokens (<see cref="KeepIndices"/>); LVPruning's
/// training keeps every token and instead passes soft keep weights D (<see cref="SoftKeep"/>) that
/// every following attention layer applies as the masked softmax of the paper (eq. 7-9).
/// </summary>
public sealed record StageDecision(Tensor? KeepIndices = null, Tensor? SoftKeep = null)
{
    public static readonly StageDecision KeepAll = new();
}

/// <summary>
/// Chooses the tokens that go on after some decoder layers, during the prompt's prefill. All
/// methods (manual keep plans, LVPruning, random, FastV) drive the one removal path in
/// <see cref="LlamaModel"/> through this interface; only the choice of tokens differs.
/// </summary>
public interface ITokenSelector
{
    /// <summary>0-based decoder layers after which <see cref="Decide"/> is called, ascending.</summary>
    IReadOnlyList<int> Layers { get; }

    /// <summary>A layer whose head-averaged attention from the last query is needed (FastV), or null.</summary>
    int? AttentionCaptureLayer => null;

    /// <param name="stage">index into <see cref="Layers"/></param>
    /// <param name="hidden">hidden states leaving the layer [B, T, D]</param>
    /// <param name="tokens">per-token state of the live sequence</param>
    /// <param name="lastQueryAttention">[B, T] when <see cref="AttentionCaptureLayer"/> was this layer or earlier</param>
    StageDecision Decide(int stage, Tensor hidden, TokenState tokens, Tensor? lastQueryAttention);
}
