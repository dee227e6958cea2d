using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// A selector that also watches where chosen query rows attend, layer by layer (a cache-free pass):
/// the decoder hands it, after every layer, sum_r w_r mean_h softmax(q_r k^T / sqrt(d)) / sum_r w_r.
/// </summary>
public interface IAttentionObserver
{
    /// <summary>Row weights w [B, T] (for example the rows that predict the answer).</summary>
    Tensor ObservedRows { get; }

    /// <param name="layer">0-based decoder layer</param>
    /// <param name="attention">[B, Tk] fp32, over the keys that layer saw; the observer owns it</param>
    void Observe(int layer, Tensor attention);
}
