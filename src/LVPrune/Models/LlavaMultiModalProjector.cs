using LVPrune.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>LLaVA-1.5's projector: linear_2(act(linear_1(x))), act = GELU (exact erf form).</summary>
public sealed class LlavaMultiModalProjector : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear_1, linear_2;
    private readonly Func<Tensor, Tensor> _act;

    public LlavaMultiModalProjector(LlavaConfig c, ScalarType dtype, Device? device) : base(nameof(LlavaMultiModalProjector))
    {
        linear_1 = new Linear(c.VisionConfig.HiddenSize, c.TextConfig.HiddenSize, c.MultimodalProjectorBias, dtype, device);
        linear_2 = new Linear(c.TextConfig.HiddenSize, c.TextConfig.HiddenSize, c.MultimodalProjectorBias, dtype, device);
        _act = Activations.Get(c.ProjectorHiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return linear_2.forward(_act(linear_1.forward(x))).MoveToOuterDisposeScope();
    }
}
