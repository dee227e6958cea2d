using LVPrune.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>SwiGLU MLP: down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear gate_proj, up_proj, down_proj;

    public LlamaMlp(LlamaConfig c, ScalarType dtype, Device? device) : base(nameof(LlamaMlp))
    {
        gate_proj = new Linear(c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype, device);
        up_proj = new Linear(c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype, device);
        down_proj = new Linear(c.IntermediateSize, c.HiddenSize, c.MlpBias, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var gateUp = Linear.ForwardMany(x, gate_proj, up_proj);
        return down_proj.forward(nn.functional.silu(gateUp[0]) * gateUp[1]).MoveToOuterDisposeScope();
    }
}
