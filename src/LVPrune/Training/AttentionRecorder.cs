using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>Records, for every decoder layer of an unpruned cache-free pass, where the given rows attend.</summary>
public sealed class AttentionRecorder(Tensor rows) : ITokenSelector, IAttentionObserver, IDisposable
{
    private readonly List<Tensor> _attention = [];

    public Tensor ObservedRows => rows;
    public IReadOnlyList<int> Layers => [];
    /// <summary>Per layer, in order: the rows' head-averaged attention [B, T].</summary>
    public IReadOnlyList<Tensor> Attention => _attention;

    public void Observe(int layer, Tensor attention)
    {
        if (layer != _attention.Count) throw new InvalidOperationException($"layer {layer} observed out of order");
        _attention.Add(attention);
    }

    public StageDecision Decide(int stage, Tensor hidden, TokenState tokens, Tensor? lastQueryAttention) => StageDecision.KeepAll;

    public void Dispose()
    {
        foreach (var a in _attention) a.Dispose();
        _attention.Clear();
    }
}
