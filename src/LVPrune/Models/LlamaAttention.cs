using LVPrune.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// LLaMA self-attention: q/k/v/o projections, rotate_half RoPE on explicit positions, grouped-query
/// attention, a preallocated KV cache, and scaled-dot-product attention (decode steps on bf16 CPU
/// models: <see cref="Bf16DecodeAttention"/>, straight from the cache). Training-mode LVPruning
/// replaces the softmax by the paper's masked softmax (eq. 7-9), computed explicitly and stably.
/// </summary>
public sealed class LlamaAttention : nn.Module
{
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly int _heads, _kvHeads, _headDim;

    public LlamaAttention(LlamaConfig c, ScalarType dtype, Device? device) : base(nameof(LlamaAttention))
    {
        _heads = c.NumAttentionHeads; _kvHeads = c.KvHeads; _headDim = c.HeadDimension;
        q_proj = new Linear(c.HiddenSize, _heads * _headDim, c.AttentionBias, dtype, device);
        k_proj = new Linear(c.HiddenSize, _kvHeads * _headDim, c.AttentionBias, dtype, device);
        v_proj = new Linear(c.HiddenSize, _kvHeads * _headDim, c.AttentionBias, dtype, device);
        o_proj = new Linear(_heads * _headDim, c.HiddenSize, c.AttentionBias, dtype, device);
        RegisterComponents();
    }

    /// <summary>Epsilon of the masked softmax's denominator (training mode).</summary>
    public const double MaskedSoftmaxEps = 1e-6;

    public Tensor Forward(Tensor x, AttentionContext ctx, KvCache.Layer? cache)
    {
        using var scope = NewDisposeScope();
        long B = x.shape[0], T = x.shape[1];
        var qkv = Linear.ForwardMany(x, q_proj, k_proj, v_proj);
        var q = qkv[0].view(B, T, _heads, _headDim).transpose(1, 2);   // [B, H, T, Dh]
        var k = qkv[1].view(B, T, _kvHeads, _headDim).transpose(1, 2); // [B, KvH, T, Dh]
        var v = qkv[2].view(B, T, _kvHeads, _headDim).transpose(1, 2); // [B, KvH, T, Dh]
        q = Rope.Apply(q, ctx.Cos, ctx.Sin);
        k = Rope.Apply(k, ctx.Cos, ctx.Sin);

        int past = cache?.Length ?? 0;
        Tensor keysValid;
        if (cache != null) (k, v, keysValid) = KvCache.Append(cache, k, v, ctx.QueryValid); // [B, KvH, L, Dh]
        else keysValid = ctx.QueryValid;

        // A decode step (one new token, inference) reads the cache with our own kernel.
        if (cache != null && ctx.SoftKeep is null && !ctx.CaptureLastQuery && Bf16DecodeAttention.Applies(q, cache))
        {
            var attended = Bf16DecodeAttention.Attend(q, cache, ctx.HasPadding);          // [B, H, 1, Dh]
            attended = attended.transpose(1, 2).reshape(B, T, _heads * _headDim);         // [B, 1, H*Dh]
            return o_proj.forward(attended).MoveToOuterDisposeScope();
        }

        if (_kvHeads != _heads) { k = RepeatKv(k); v = RepeatKv(v); }              // [B, H, L, Dh]
        var mask = ctx.Mask(past, keysValid, out bool isCausal);

        if (ctx.CaptureLastQuery) ctx.Captured = LastQueryAttention(q, k, mask, isCausal).DetachFromDisposeScope();
        if (ctx.ObservedRows is { } rows) ctx.RowAttention = RowAttention(q, k, mask, isCausal, rows).DetachFromDisposeScope();

        Tensor o = ctx.SoftKeep is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, mask, 0.0, isCausal)
            : MaskedSoftmaxAttention(q, k, v, mask, isCausal, past, ctx);          // [B, H, T, Dh]
        o = o.transpose(1, 2).reshape(B, T, _heads * _headDim);                     // [B, T, H*Dh]
        return o_proj.forward(o).MoveToOuterDisposeScope();
    }

    private Tensor RepeatKv(Tensor kv)
    {
        long B = kv.shape[0], L = kv.shape[2];
        int rep = _heads / _kvHeads;
        return kv.unsqueeze(2).expand(B, _kvHeads, rep, L, _headDim).reshape(B, _heads, L, _headDim);
    }

    /// <summary>Boolean "may attend" [B|1, 1, Tq, Tk] whatever form the mask took.</summary>
    private static Tensor Allowed(Tensor? mask, bool isCausal, long tq, long tk, int past, Device device)
    {
        if (mask is not null) return mask;
        var qpos = arange(past, past + tq, ScalarType.Int64, device).unsqueeze(1);
        var kpos = arange(0, tk, ScalarType.Int64, device).unsqueeze(0);
        return (isCausal ? kpos.le(qpos) : ones(tq, tk, ScalarType.Bool, device)).view(1, 1, tq, tk);
    }

    /// <summary>softmax(q k^T / sqrt(d)) averaged over heads, fp32: [B, Tq, Tk] for queries q [B, H, Tq, Dh].</summary>
    private Tensor HeadAveragedAttention(Tensor q, Tensor k, Tensor allowed)
    {
        var scores = matmul(q.to(ScalarType.Float32), k.to(ScalarType.Float32).transpose(2, 3)) / Math.Sqrt(_headDim); // [B, H, Tq, Tk]
        scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);
        return scores.softmax(-1).mean([1]);                                        // [B, Tq, Tk]
    }

    /// <summary>Head-averaged attention of the last query row: [B, Tk] fp32.</summary>
    private Tensor LastQueryAttention(Tensor q, Tensor k, Tensor? mask, bool isCausal)
    {
        long tq = q.shape[2], tk = k.shape[2];
        var allowed = Allowed(mask, isCausal, tq, tk, (int)(tk - tq), q.device).narrow(2, tq - 1, 1);
        return HeadAveragedAttention(q.narrow(2, tq - 1, 1), k, allowed).squeeze(1); // [B, Tk]
    }

    /// <summary>Row-weighted mean of the head-averaged attention: [B, Tk] fp32.</summary>
    private Tensor RowAttention(Tensor q, Tensor k, Tensor? mask, bool isCausal, Tensor rows)
    {
        long tq = q.shape[2], tk = k.shape[2];
        var p = HeadAveragedAttention(q, k, Allowed(mask, isCausal, tq, tk, (int)(tk - tq), q.device)); // [B, Tq, Tk]
        var w = rows.to(ScalarType.Float32).to(q.device);                           // [B, Tq]
        return matmul(w.unsqueeze(1), p).squeeze(1) / w.sum([1], keepdim: true).clamp_min(1e-12); // [B, Tk]
    }

    /// <summary>
    /// LVPruning's training attention (paper eq. 7-9): A_bar = QK^T/sqrt(d) + causal/padding mask;
    /// A_hat[i,j] = exp(A_bar[i,j]) M[i,j] / sum_k exp(A_bar[i,k]) M[i,k] with M[i,j] = 1 when i == j
    /// or j is text, else D[j]. Row max subtracted before exp; epsilon in the denominator. fp32.
    /// </summary>
    private Tensor MaskedSoftmaxAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, bool isCausal, int past, AttentionContext ctx)
    {
        long tq = q.shape[2], tk = k.shape[2];
        if (ctx.SoftKeep!.shape[1] != tk)
            throw new InvalidOperationException("training-mode keep weights need the whole sequence in one pass (no KV cache)");
        var scores = matmul(q.to(ScalarType.Float32), k.to(ScalarType.Float32).transpose(2, 3)) / Math.Sqrt(_headDim); // [B, H, Tq, Tk]
        var allowed = Allowed(mask, isCausal, tq, tk, past, q.device);
        scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);
        var rowMax = scores.amax([-1], keepdim: true).detach();
        var e = (scores - rowMax).exp();                                                   // [B, H, Tq, Tk]
        // M [B, 1, Tq, Tk]: D[j] on image keys except the diagonal, 1 elsewhere.
        var eye = arange(past, past + tq, ScalarType.Int64, q.device).unsqueeze(1)
                  .eq(arange(0, tk, ScalarType.Int64, q.device).unsqueeze(0));             // [Tq, Tk]
        var d = ctx.SoftKeep.to(ScalarType.Float32).unsqueeze(1).unsqueeze(1);             // [B, 1, 1, Tk]
        var imageKey = ctx.KeyIsImage!.unsqueeze(1).unsqueeze(1);                          // [B, 1, 1, Tk]
        var m = where(imageKey.logical_and(eye.logical_not().view(1, 1, tq, tk)), d, ones_like(d));
        var weighted = e * m;
        var p = weighted / (weighted.sum([-1], keepdim: true) + MaskedSoftmaxEps);
        return matmul(p.to(v.dtype), v);                                                   // [B, H, Tq, Dh]
    }
}
