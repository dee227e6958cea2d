using LVPrune.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>transformers' LlamaForCausalLM: the decoder stack and the LM head.</summary>
public sealed class LlamaForCausalLM : nn.Module
{
    public readonly LlamaModel model;
    private readonly Linear? lm_head; // absent when tied to embed_tokens

    /// <param name="computeDType">the activations' dtype (null: <paramref name="dtype"/>)</param>
    /// <param name="fp32Kernels">whether decode attention runs the fp32 kernel (bf16 or int8 weights under fp32 compute)</param>
    public LlamaForCausalLM(LlavaConfig cfg, ScalarType dtype, Device? device, RuntimeOptions? runtime = null, ScalarType? computeDType = null, bool fp32Kernels = false)
        : base(nameof(LlamaForCausalLM))
    {
        model = new LlamaModel(cfg, dtype, device, runtime, computeDType, fp32Kernels);
        bool tied = cfg.TieWordEmbeddings ?? cfg.TextConfig.TieWordEmbeddings;
        if (!tied) lm_head = new Linear(cfg.TextConfig.HiddenSize, cfg.TextConfig.VocabSize, false, dtype, device);
        RegisterComponents();
    }

    /// <summary>Logits in fp32 for hidden states [B, T, D] (run it only on the positions needed).</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var logits = lm_head is not null ? lm_head.forward(hidden) : nn.functional.linear(hidden, model.embed_tokens.weight.to(hidden.dtype));
        return logits.to(ScalarType.Float32).MoveToOuterDisposeScope(); // [B, T, V]
    }
}
