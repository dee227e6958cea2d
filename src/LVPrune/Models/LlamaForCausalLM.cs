using LVPrune.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>transformers' LlamaForCausalLM: the decoder stack and the LM head.</summary>
public sealed class LlamaForCausalLM : nn.Module
{
    public readonly LlamaModel model;
    private readonly Linear? lm_head; // absent when tied to embed_tokens

    public LlamaForCausalLM(LlavaConfig cfg, ScalarType dtype, Device? device, RuntimeOptions? runtime = null) : base(nameof(LlamaForCausalLM))
    {
        model = new LlamaModel(cfg, dtype, device, runtime);
        bool tied = cfg.TieWordEmbeddings ?? cfg.TextConfig.TieWordEmbeddings;
        if (!tied) lm_head = new Linear(cfg.TextConfig.HiddenSize, cfg.TextConfig.VocabSize, false, dtype, device);
        RegisterComponents();
    }

    /// <summary>Logits in fp32 for hidden states [B, T, D] (run it only on the positions needed).</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var logits = lm_head is not null ? lm_head.forward(hidden) : nn.functional.linear(hidden, model.embed_tokens.weight);
        return logits.to(ScalarType.Float32).MoveToOuterDisposeScope(); // [B, T, V]
    }
}
