using LVPrune.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// LLaMA self-attention: q/k/v/o projections, rotate_half RoPE on explicit positions, the KV cache,
/// then whichever attention function the decoder chose for this forward (SDPA, the bf16 decode
/// kernel, training-mode LVPruning's masked softmax). Grouped-query heads are repeated by the
/// function that needs them. A probe, when given, is answered from the same q and k.
/// </summary>
public sealed class LlamaAttention : nn.Module<DecoderLayerInput, AttentionOutput>
{
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly int _heads, _kvHeads, _headDim;
    private readonly Scalar _scoreDivisor; // sqrt(Dh)

    public LlamaAttention(LlamaConfig c, ScalarType dtype, Device? device) : base(nameof(LlamaAttention))
    {
        _heads = c.NumAttentionHeads; _kvHeads = c.KvHeads; _headDim = c.HeadDimension;
        _scoreDivisor = Math.Sqrt(_headDim).ToScalar();
        q_proj = new Linear(c.HiddenSize, _heads * _headDim, c.AttentionBias, dtype, device);
        k_proj = new Linear(c.HiddenSize, _kvHeads * _headDim, c.AttentionBias, dtype, device);
        v_proj = new Linear(c.HiddenSize, _kvHeads * _headDim, c.AttentionBias, dtype, device);
        o_proj = new Linear(_heads * _headDim, c.HiddenSize, c.AttentionBias, dtype, device);
        RegisterComponents();
    }

    /// <param name="input">normed hidden states and the forward's decisions</param>
    public override AttentionOutput forward(DecoderLayerInput input)
    {
        using var scope = NewDisposeScope();
        var x = input.Hidden;
        long B = x.shape[0], T = x.shape[1];
        var qkv = Linear.ForwardMany(x, q_proj, k_proj, v_proj);
        var q = qkv[0].view(B, T, _heads, _headDim).transpose(1, 2);   // [B, H, T, Dh]
        var k = qkv[1].view(B, T, _kvHeads, _headDim).transpose(1, 2); // [B, KvH, T, Dh]
        var v = qkv[2].view(B, T, _kvHeads, _headDim).transpose(1, 2); // [B, KvH, T, Dh]
        q = Rope.Apply(q, input.Cos, input.Sin);
        k = Rope.Apply(k, input.Cos, input.Sin);

        var cache = input.Cache;
        int past = cache?.Length ?? 0;
        Tensor keysValid = input.TokensValid;
        if (cache != null) (k, v, keysValid) = KvCache.Append(cache, k, v, input.TokensValid); // [B, KvH, L, Dh]

        var call = new AttentionCall
        {
            Query = q, Key = k, Value = v, KeysValid = keysValid, Past = past, Masks = input.Masks, Cache = cache, ScoreDivisor = _scoreDivisor,
        };
        var observation = input.Probe?.Observe(call).MoveToOuterDisposeScope();
        var o = input.Attention.Attend(call);                                         // [B, H, T, Dh]
        o = o.transpose(1, 2).reshape(B, T, _heads * _headDim);                       // [B, T, H*Dh]
        return new AttentionOutput(o_proj.forward(o).MoveToOuterDisposeScope(), observation);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _scoreDivisor.Dispose();
        base.Dispose(disposing);
    }
}
