using LVPrune.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>Pre-LN CLIP encoder layer: x + attn(ln1(x)), then + mlp(ln2(.)).</summary>
public sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly ClipAttention self_attn;
    private readonly LayerNorm layer_norm1, layer_norm2;
    private readonly ClipMlp mlp;

    public ClipEncoderLayer(ClipVisionConfig c, ScalarType dtype, Device? device) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(c, dtype, device);
        layer_norm1 = new LayerNorm(c.HiddenSize, c.LayerNormEps, dtype, device);
        mlp = new ClipMlp(c, dtype, device);
        layer_norm2 = new LayerNorm(c.HiddenSize, c.LayerNormEps, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(self_attn.forward(layer_norm1.forward(x)));
        return h.Plus(mlp.forward(layer_norm2.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>Full (unmasked) multi-head self-attention with biased projections, scale Dh^-0.5.</summary>
public sealed class ClipAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q_proj, k_proj, v_proj, out_proj;
    private readonly int _heads, _headDim;

    public ClipAttention(ClipVisionConfig c, ScalarType dtype, Device? device) : base(nameof(ClipAttention))
    {
        _heads = c.NumAttentionHeads; _headDim = c.HiddenSize / c.NumAttentionHeads;
        q_proj = new Linear(c.HiddenSize, c.HiddenSize, true, dtype, device);
        k_proj = new Linear(c.HiddenSize, c.HiddenSize, true, dtype, device);
        v_proj = new Linear(c.HiddenSize, c.HiddenSize, true, dtype, device);
        out_proj = new Linear(c.HiddenSize, c.HiddenSize, true, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long B = x.shape[0], T = x.shape[1];
        var q = q_proj.forward(x).view(B, T, _heads, _headDim).transpose(1, 2); // [B, H, T, Dh]
        var k = k_proj.forward(x).view(B, T, _heads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(B, T, _heads, _headDim).transpose(1, 2);
        var o = nn.functional.scaled_dot_product_attention(q, k, v);             // [B, H, T, Dh]
        o = o.transpose(1, 2).reshape(B, T, _heads * _headDim);                   // [B, T, D]
        return out_proj.forward(o).MoveToOuterDisposeScope();
    }
}

/// <summary>fc2(act(fc1(x))) with the config's activation (quick_gelu for CLIP).</summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1, fc2;
    private readonly Func<Tensor, Tensor> _act;

    public ClipMlp(ClipVisionConfig c, ScalarType dtype, Device? device) : base(nameof(ClipMlp))
    {
        fc1 = new Linear(c.HiddenSize, c.IntermediateSize, true, dtype, device);
        fc2 = new Linear(c.IntermediateSize, c.HiddenSize, true, dtype, device);
        _act = Activations.Get(c.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(_act(fc1.forward(x))).MoveToOuterDisposeScope();
    }
}
