using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// One cross-attention block of a decision module (paper sec. 3.1, eq. 1-3): the vision tokens are the
/// queries (eq. 1), the guiding text tokens the keys and values (eq. 2).
///   Q = Wq x_v,  K = Wk x_t,  V = Wv x_t
///   O = Wo softmax(Q K^T / sqrt(d_h)) V + Q        (eq. 3; multi-head, residual on the projected query)
///   O = FFN(O),  FFN = [LayerNorm, Linear(C, 2C), SiLU, Linear(2C, C), LayerNorm]
/// Text padding is excluded with a key-padding mask. The output projection Wo is what makes the
/// paper's 0.71 TFLOPs for three modules come out (see Flops/).
/// </summary>
public sealed class CrossAttentionBlock : nn.Module
{
    private readonly Linear q_proj, k_proj, v_proj, out_proj;
    private readonly LayerNorm ffn_norm1, ffn_norm2;
    private readonly Linear ffn_fc1, ffn_fc2;
    private readonly int _heads, _headDim;

    public CrossAttentionBlock(DecisionModuleConfig c, ScalarType dtype, Device? device) : base(nameof(CrossAttentionBlock))
    {
        int C = c.Width;
        _heads = c.Heads; _headDim = C / c.Heads;
        q_proj = new Linear(C, C, true, dtype, device);
        k_proj = new Linear(C, C, true, dtype, device);
        v_proj = new Linear(C, C, true, dtype, device);
        out_proj = new Linear(C, C, true, dtype, device);
        ffn_norm1 = new LayerNorm(C, c.LayerNormEps, dtype, device);
        ffn_fc1 = new Linear(C, (long)c.FfnMultiplier * C, true, dtype, device);
        ffn_fc2 = new Linear((long)c.FfnMultiplier * C, C, true, dtype, device);
        ffn_norm2 = new LayerNorm(C, c.LayerNormEps, dtype, device);
        RegisterComponents();
    }

    /// <param name="queries">vision tokens [B, Nv, C]</param>
    /// <param name="text">guiding text tokens [B, Nt, C] (padded)</param>
    /// <param name="textMask">[B, Nt] bool, true for real text tokens</param>
    public Tensor Forward(Tensor queries, Tensor text, Tensor textMask)
    {
        using var scope = NewDisposeScope();
        long B = queries.shape[0], Nv = queries.shape[1], Nt = text.shape[1];
        var q = q_proj.forward(queries);                                                   // [B, Nv, C]
        var qh = q.view(B, Nv, _heads, _headDim).transpose(1, 2);                          // [B, H, Nv, Dh]
        var kh = k_proj.forward(text).view(B, Nt, _heads, _headDim).transpose(1, 2);       // [B, H, Nt, Dh]
        var vh = v_proj.forward(text).view(B, Nt, _heads, _headDim).transpose(1, 2);       // [B, H, Nt, Dh]
        var mask = textMask.view(B, 1, 1, Nt);                                             // key padding
        var attn = nn.functional.scaled_dot_product_attention(qh, kh, vh, mask);           // [B, H, Nv, Dh]
        attn = attn.transpose(1, 2).reshape(B, Nv, _heads * _headDim);                     // [B, Nv, C]
        var o = out_proj.forward(attn).Plus(q);
        o = ffn_norm2.forward(ffn_fc2.forward(nn.functional.silu(ffn_fc1.forward(ffn_norm1.forward(o)))));
        return o.MoveToOuterDisposeScope();
    }
}
