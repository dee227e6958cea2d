using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// An LVPruning decision module (paper sec. 3.1): cross-attention blocks in sequence
/// (<see cref="CrossAttentionBlock"/>, eq. 1-3: vision queries, text keys and values), then
/// gamma = W_O O (eq. 4, Linear(C, 2)): column 0 scores "keep", column 1 "drop".
/// </summary>
public sealed class DecisionModule : nn.Module
{
    private readonly TorchSharp.Modules.ModuleList<CrossAttentionBlock> blocks;
    private readonly Linear score;

    public DecisionModule(DecisionModuleConfig c, ScalarType dtype, Device? device) : base(nameof(DecisionModule))
    {
        c.Validate();
        blocks = new TorchSharp.Modules.ModuleList<CrossAttentionBlock>();
        for (int i = 0; i < c.Blocks; i++) blocks.Add(new CrossAttentionBlock(c, dtype, device));
        score = new Linear(c.Width, 2, true, dtype, device);
        RegisterComponents();
    }

    /// <summary>gamma [B, Nv, 2] in fp32 for vision tokens [B, Nv, C] given text [B, Nt, C] and its mask [B, Nt].</summary>
    public Tensor Forward(Tensor vision, Tensor text, Tensor textMask)
    {
        using var scope = NewDisposeScope();
        var o = vision;
        foreach (var block in blocks) o = block.Forward(o, text, textMask);
        return score.forward(o).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
