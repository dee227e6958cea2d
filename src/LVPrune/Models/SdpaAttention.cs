using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>LibTorch's fused scaled-dot-product attention: every pass, with the causal flag where no mask is needed.</summary>
public sealed class SdpaAttention : IAttentionFunction
{
    public static SdpaAttention Instance { get; } = new();

    private SdpaAttention() { }

    public string Name => AttentionRegistry.Sdpa;

    public bool Supports(AttentionPass pass) => true;

    public Tensor Attend(AttentionCall call)
    {
        var k = call.KeysPerHead;
        var v = call.ValuesPerHead;
        var mask = call.Masks.Mask(call.Past, call.KeysValid, out bool isCausal);
        return nn.functional.scaled_dot_product_attention(call.Query, k, v, mask, 0.0, isCausal); // [B, H, Tq, Dh]
    }
}
