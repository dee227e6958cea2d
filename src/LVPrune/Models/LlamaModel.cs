using LVPrune.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>What a decoder pass returns: final normed hidden states of the tokens still present,
/// their per-token state, and what each pruning stage decided.</summary>
public sealed record DecoderOutput(Tensor Hidden, TokenState Tokens, IReadOnlyList<StageOutcome> Stages)
{
    /// <summary>Every distinct tensor the output holds (stages may share a TokenState).</summary>
    public IEnumerable<Tensor> Tensors()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var all = new List<Tensor> { Hidden };
        all.AddRange(Tokens.Tensors());
        foreach (var s in Stages)
        {
            all.AddRange(s.Tokens.Tensors());
            if (s.SoftKeep is not null) all.Add(s.SoftKeep);
        }
        return all.Where(seen.Add);
    }

    /// <summary>Moves every tensor of this output that belongs to the current dispose scope one scope out,
    /// each once; <paramref name="keep"/> lists tensors owned elsewhere (the caller's inputs).</summary>
    public DecoderOutput MoveToOuterDisposeScope(IEnumerable<Tensor>? keep = null)
    {
        var skip = new HashSet<Tensor>(keep ?? [], ReferenceEqualityComparer.Instance);
        foreach (var t in Tensors()) if (!skip.Contains(t)) t.MoveToOuterDisposeScope();
        return this;
    }
}

/// <summary>One pruning stage's outcome: the layer, the tokens alive after it, and (training) D.</summary>
public sealed record StageOutcome(int Layer, TokenState Tokens, Tensor? SoftKeep);

/// <summary>
/// The LLaMA decoder stack (transformers' LlamaModel): embed_tokens, layers, norm. The single loop
/// over layers is also LVPrune's one removal path: after each layer a selector names, the hidden
/// states and every per-token tensor are gathered to the kept tokens, and the layers that follow
/// (and their KV cache entries) only ever see those.
/// </summary>
public sealed class LlamaModel : nn.Module
{
    public readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    public readonly RmsNorm norm;
    private readonly Rope _rope;
    private readonly ScalarType _dtype;

    public LlamaModel(LlavaConfig cfg, ScalarType dtype, Device? device) : base(nameof(LlamaModel))
    {
        var c = cfg.TextConfig;
        _dtype = dtype;
        embed_tokens = new Embedding(c.VocabSize, c.HiddenSize, dtype, device);
        layers = new ModuleList<LlamaDecoderLayer>();
        for (int i = 0; i < c.NumHiddenLayers; i++) layers.Add(new LlamaDecoderLayer(c, dtype, device));
        norm = new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        _rope = new Rope(c.HeadDimension, c.RopeTheta, cfg.RopeLinearFactor, Math.Min(c.MaxPositionEmbeddings, 4096), device);
        RegisterComponents();
    }

    public int LayerCount => layers.Count;

    /// <param name="inputsEmbeds">[B, T, D]</param>
    /// <param name="tokens">per-token state of the T new tokens</param>
    /// <param name="cache">KV cache to append to, or null for a cache-free pass (training)</param>
    /// <param name="selector">pruning stages, applied only when given</param>
    /// <param name="hasPadding">whether any token of the batch (cached or new) is padding</param>
    public DecoderOutput Forward(Tensor inputsEmbeds, TokenState tokens, KvCache? cache, ITokenSelector? selector, bool hasPadding)
    {
        using var scope = NewDisposeScope();
        var h = inputsEmbeds;
        var inputTokens = tokens;
        var stages = new List<StageOutcome>();
        IReadOnlyList<int> stageLayers = selector?.Layers ?? [];
        int stage = 0;
        Tensor? softKeep = null;
        Tensor? captured = null;
        var observer = selector as IAttentionObserver;
        if (observer is not null && (cache is not null || stageLayers.Count > 0))
            throw new InvalidOperationException("an attention observer watches a cache-free pass without pruning stages");
        var ctx = MakeContext(tokens, hasPadding, softKeep, observer?.ObservedRows);
        for (int i = 0; i < layers.Count; i++)
        {
            ctx.CaptureLastQuery = selector?.AttentionCaptureLayer == i;
            h = layers[i].Forward(h, ctx, cache?[i]);
            if (ctx.Captured is not null) { captured?.Dispose(); captured = ctx.Captured; ctx.Captured = null; }
            if (ctx.RowAttention is not null) { observer!.Observe(i, ctx.RowAttention); ctx.RowAttention = null; }
            if (stage < stageLayers.Count && stageLayers[stage] == i)
            {
                var decision = selector!.Decide(stage, h, tokens, captured);
                if (decision.KeepIndices is { } keep)
                {
                    var index = keep.to(ScalarType.Int64);                                      // [B, T']
                    h = h.gather(1, index.unsqueeze(-1).expand(h.shape[0], index.shape[1], h.shape[2])); // [B, T', D]
                    tokens = tokens.Gather(index);
                    captured?.Dispose();
                    captured = null;
                }
                if (decision.SoftKeep is { } d) softKeep = d;
                stages.Add(new StageOutcome(i, tokens, decision.SoftKeep));
                ctx.Dispose();
                ctx = MakeContext(tokens, hasPadding, softKeep);
                stage++;
            }
        }
        ctx.Dispose();
        captured?.Dispose();
        if (stage < stageLayers.Count)
            throw new LVPruneException($"pruning layer {stageLayers[stage]} is outside the model's {layers.Count} decoder layers");
        h = norm.forward(h);
        return new DecoderOutput(h, tokens, stages).MoveToOuterDisposeScope(keep: inputTokens.Tensors());
    }

    private AttentionContext MakeContext(TokenState tokens, bool hasPadding, Tensor? softKeep, Tensor? observedRows = null)
    {
        var (cos, sin) = _rope.Get(tokens.PositionIds, _dtype);
        return new AttentionContext
        {
            Cos = cos, Sin = sin, QueryValid = tokens.Valid, HasPadding = hasPadding,
            SoftKeep = softKeep, KeyIsImage = softKeep is null ? null : tokens.IsImage, ObservedRows = observedRows,
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _rope.Dispose();
        base.Dispose(disposing);
    }
}
