using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// One attention computation softmax(q k^T / sqrt(d)) v under the layer's mask, as transformers'
/// attention functions: SDPA (<see cref="SdpaAttention"/>), the bf16 decode kernel
/// (<see cref="Bf16DecodeAttention"/>), training-mode LVPruning's masked softmax (eq. 7-9, in
/// Pruning/), and kernels still to come. The decoder chooses one per forward (<see cref="AttentionRegistry.Choose"/>)
/// and hands it to every layer; a layer never decides how to attend.
/// </summary>
public interface IAttentionFunction
{
    /// <summary>The name it is registered and chosen by ("sdpa", "bf16_decode", "masked_softmax").</summary>
    string Name { get; }

    /// <summary>Whether it can run every layer of a forward pass of this kind.</summary>
    bool Supports(AttentionPass pass);

    /// <summary>The attention output [B, H, Tq, Dh] for one layer.</summary>
    Tensor Attend(AttentionCall call);
}

/// <summary>What the dispatcher knows of a forward pass before it runs: the same for all its layers.</summary>
/// <param name="Queries">new tokens per row (1 in a decode step)</param>
/// <param name="Cached">whether keys come from a KV cache</param>
/// <param name="GradEnabled">whether autograd records (training)</param>
public readonly record struct AttentionPass(int Queries, bool Cached, ScalarType DType, DeviceType Device, int Heads, int KvHeads, int HeadDim, bool GradEnabled);

/// <summary>
/// One layer's attention inputs. Keys and values are those of every position the queries may see
/// (the cache included), with their own head count; <see cref="KeysPerHead"/> repeats them for
/// grouped-query attention when a function needs one key head per query head.
/// </summary>
public sealed class AttentionCall
{
    /// <summary>Queries [B, H, Tq, Dh], rotary embedding applied.</summary>
    public required Tensor Query { get; init; }
    /// <summary>Keys [B, KvH, Tk, Dh], rotary embedding applied.</summary>
    public required Tensor Key { get; init; }
    /// <summary>Values [B, KvH, Tk, Dh].</summary>
    public required Tensor Value { get; init; }
    /// <summary>Which keys are real tokens [B, Tk] (bool).</summary>
    public required Tensor KeysValid { get; init; }
    /// <summary>Keys already cached before this forward (the queries sit at Past .. Past+Tq-1).</summary>
    public required int Past { get; init; }
    /// <summary>The segment's masks.</summary>
    public required AttentionMasks Masks { get; init; }
    /// <summary>The cache layer the keys live in (kernels read its buffers directly), or null.</summary>
    public KvCache.Layer? Cache { get; init; }
    /// <summary>sqrt(Dh), the divisor of explicit attention scores (owned by the layer).</summary>
    public required Scalar ScoreDivisor { get; init; }

    private Tensor? _keys, _values;

    /// <summary>Keys [B, H, Tk, Dh]: each key head repeated for the query heads that share it.</summary>
    public Tensor KeysPerHead => _keys ??= RepeatKv(Key, Query.shape[1]);
    /// <summary>Values [B, H, Tk, Dh].</summary>
    public Tensor ValuesPerHead => _values ??= RepeatKv(Value, Query.shape[1]);

    /// <summary>Boolean "may attend" [B|1, 1, Tq, Tk].</summary>
    public Tensor Allowed() => Masks.Allowed(Past, KeysValid);

    /// <summary>Scores q k^T / sqrt(d) in fp32 [B, H, Tq, Tk], masked keys at -inf.</summary>
    public Tensor MaskedScores()
    {
        var scores = matmul(Query.to(ScalarType.Float32), KeysPerHead.to(ScalarType.Float32).transpose(2, 3)).div_(ScoreDivisor); // [B, H, Tq, Tk]
        return scores.masked_fill(Allowed().logical_not(), Scalars.NegativeInfinity);
    }

    private static Tensor RepeatKv(Tensor kv, long heads)
    {
        long B = kv.shape[0], kvHeads = kv.shape[1], L = kv.shape[2], D = kv.shape[3];
        if (kvHeads == heads) return kv;
        return kv.unsqueeze(2).expand(B, kvHeads, heads / kvHeads, L, D).reshape(B, heads, L, D); // [B, H, L, Dh]
    }
}
