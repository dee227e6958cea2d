using LVPrune.Models;
using LVPrune.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>
/// Bounds the language-model gradient that reaches LVPruning's keep decisions, element by element.
///
/// Why: the masked softmax A_hat[i, j] = exp(a_ij) D_j / sum_k exp(a_ik) D_k has
/// dA_hat[i, j] / dD_j = exp(a_ij) / sum_k exp(a_ik) D_k, unbounded when the row's attention sat on
/// tokens that are now masked. On the toy model the adapter's gradient norm had a median of 20 and a
/// maximum of 350,000 over 700 steps, so after clipping the norm to 1 each step followed the one
/// token of the batch with the largest spike (docs/toy-results.md). The sign of such a gradient is
/// informative ("this token mattered"), its size is an artefact of linearising a 0/1 decision.
///
/// How: the base model reads each stage's keep weights as a leaf tensor; the loss's gradient on
/// those leaves, g = dL/dD, is clamped to [-c / B, c / B] (c per sample, B the batch) and sent into the
/// decision modules by a surrogate sum(D * g_clamped). The modules read the hidden states detached, so
/// a stage's decision does not learn to steer the next stage's inputs. Not in the paper; 0 = off.
/// </summary>
public sealed class MaskGradientTap(ITokenSelector inner) : ITokenSelector
{
    private readonly List<(Tensor Graph, Tensor Leaf)> _masks = [];

    public IReadOnlyList<SelectionStage> Stages => inner.Stages;

    /// <summary>Each stage's keep weights D [B, T] as the decision modules computed them (with their graph).</summary>
    public IReadOnlyList<Tensor> Graphs => _masks.Select(m => m.Graph).ToList();

    public StageDecision Decide(StageInput input)
    {
        var d = inner.Decide(input with { Hidden = input.Hidden.detach() });
        if (d.SoftKeep is null) return d;
        var graph = d.SoftKeep.DetachFromDisposeScope();
        var leaf = graph.detach().requires_grad_(true);
        _masks.Add((graph, leaf.DetachFromDisposeScope()));
        // The base reads the leaf; the next stage still multiplies the decisions with their graph (eq. 10).
        var attention = d.Attention is MaskedSoftmax masked ? masked.WithKeep(leaf) : throw new InvalidOperationException("a soft stage must attend by the masked softmax");
        return d with { SoftKeep = leaf, Attention = attention };
    }
    /// <summary>
    /// After the base's loss has been back-propagated to the leaves: sum over stages of
    /// (D_s * clamp(dL/dD_s)), whose gradient carries the clamped gradient into the modules. Also the
    /// largest per-sample |dL/dD| and the share of image entries the clamp changed, for the log.
    /// </summary>
    /// <param name="globalRows">rows of the global batch when this batch is one process's part of it (the loss is
    /// the global batch's mean, so the bound per sample is c / global rows); null = this batch</param>
    public (Tensor Surrogate, double MaxPerSample, double ClampedShare) Surrogate(double perSampleClip, Tensor isImage, long? globalRows = null)
    {
        using var scope = NewDisposeScope();
        long B = globalRows ?? isImage.shape[0];
        double c = perSampleClip / B;
        if (_masks.Count == 0) return (zeros([], ScalarType.Float32, isImage.device).MoveToOuterDisposeScope(), 0, 0);
        using var low = (-c).ToScalar();
        using var high = c.ToScalar();
        var image = isImage.to(ScalarType.Float32);
        var g = stack(_masks.Select(m => m.Leaf.grad is null ? zeros_like(m.Leaf) : m.Leaf.grad.detach() * image)); // [S, B, T]; text is never masked
        var total = (stack(_masks.Select(m => m.Graph)) * g.clamp(low, high)).sum();
        double max = g.abs().max().ReadDouble() * B;
        double share = g.abs().gt(high).sum().ReadDouble() / Math.Max(1, _masks.Count * image.sum().ReadDouble());
        return (total.MoveToOuterDisposeScope(), max, share);
    }

    /// <summary>Releases the stored masks; the surrogate keeps what its backward pass needs.</summary>
    public void Dispose()
    {
        foreach (var (graph, leaf) in _masks) { graph.Dispose(); leaf.Dispose(); }
        _masks.Clear();
    }
}
