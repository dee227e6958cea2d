using LVPrune.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>Pre-norm decoder layer: x + attn(norm(x)), then + mlp(norm(.)).</summary>
public sealed class LlamaDecoderLayer : nn.Module<DecoderLayerInput, DecoderLayerOutput>
{
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;
    private readonly RmsNorm input_layernorm, post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig c, ScalarType dtype, Device? device) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(c, dtype, device);
        mlp = new LlamaMlp(c, dtype, device);
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    public override DecoderLayerOutput forward(DecoderLayerInput input)
    {
        using var scope = NewDisposeScope();
        var x = input.Hidden;
        var attention = self_attn.forward(input with { Hidden = input_layernorm.forward(x) });
        var h = x.Plus(attention.Output);
        var output = h.Plus(mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
        return new DecoderLayerOutput(output, attention.Observation?.MoveToOuterDisposeScope());
    }
}
