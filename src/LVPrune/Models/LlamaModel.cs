using LVPrune.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>What the decoder stack runs on.</summary>
/// <param name="InputsEmbeds">[B, T, D]</param>
/// <param name="Tokens">per-token state of the T new tokens</param>
/// <param name="Cache">KV cache to append to, or null for a cache-free pass (training)</param>
/// <param name="Selector">pruning stages, applied only when given</param>
/// <param name="Probe">an attention observation every layer returns (a cache-free pass without stages), or null</param>
public sealed record DecoderInput(Tensor InputsEmbeds, TokenState Tokens, KvCache? Cache = null, ITokenSelector? Selector = null, AttentionProbe? Probe = null);

/// <summary>What a decoder pass returns: final normed hidden states of the tokens still present,
/// their per-token state, what each pruning stage decided, and each layer's observation when a probe asked.</summary>
public sealed record DecoderOutput(Tensor Hidden, TokenState Tokens, IReadOnlyList<StageOutcome> Stages, IReadOnlyList<Tensor>? Observations = null)
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
            foreach (var t in new[] { s.SoftKeep, s.ImageKeep, s.Scores }) if (t is not null) all.Add(t);
        }
        if (Observations is not null) all.AddRange(Observations);
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

/// <summary>One pruning stage's outcome: the layer, the tokens alive after it, (training) its keep weights
/// per key and its decisions over the image tokens, and the scores it ranked the live image tokens by.</summary>
public sealed record StageOutcome(int Layer, TokenState Tokens, Tensor? SoftKeep, Tensor? ImageKeep = null, Tensor? Scores = null);

/// <summary>
/// The LLaMA decoder stack (transformers' LlamaModel): embed_tokens, layers, norm. The single loop
/// over layers is also LVPrune's one removal path: after each layer a selector names, the hidden
/// states and every per-token tensor are gathered to the kept tokens, and the layers that follow
/// (and their KV cache entries) only ever see those. The attention function is chosen here, once
/// per forward (<see cref="AttentionRegistry.Choose"/>); a training-mode stage replaces it for the
/// layers after it.
/// </summary>
public sealed class LlamaModel : nn.Module<DecoderInput, DecoderOutput>
{
    public readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    public readonly RmsNorm norm;
    private readonly Rope _rope;
    private readonly ScalarType _dtype; // the activations'
    private readonly string _decodeAttention;
    private readonly LlamaConfig _config;
    private readonly RuntimeOptions _runtime;

    /// <param name="dtype">the weights' dtype</param>
    /// <param name="computeDType">the activations' and rotary tables' dtype (null: <paramref name="dtype"/>)</param>
    /// <param name="fp32Kernels">decode attention by the fp32 kernel unless the runtime names another (bf16 or int8 weights under fp32 compute)</param>
    public LlamaModel(LlavaConfig cfg, ScalarType dtype, Device? device, RuntimeOptions? runtime = null, ScalarType? computeDType = null, bool fp32Kernels = false)
        : base(nameof(LlamaModel))
    {
        var c = cfg.TextConfig;
        _dtype = computeDType ?? dtype;
        _config = c;
        _runtime = runtime ?? RuntimeOptions.Default;
        _decodeAttention = _runtime.DecodeAttention ?? (fp32Kernels ? AttentionRegistry.Fp32Decode : AttentionRegistry.Bf16Decode);
        embed_tokens = new Embedding(c.VocabSize, c.HiddenSize, dtype, device);
        layers = new ModuleList<LlamaDecoderLayer>();
        for (int i = 0; i < c.NumHiddenLayers; i++) layers.Add(new LlamaDecoderLayer(c, dtype, device));
        norm = new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        _rope = new Rope(c.HeadDimension, c.RopeTheta, cfg.RopeLinearFactor, Math.Min(c.MaxPositionEmbeddings, 4096), device);
        RegisterComponents();
    }

    public int LayerCount => layers.Count;

    /// <summary>The attention functions this model can run (SDPA and the bf16 decode kernel; more may be registered).</summary>
    public AttentionRegistry Attention { get; } = new();

    public override DecoderOutput forward(DecoderInput input)
    {
        using var scope = NewDisposeScope();
        var (h, tokens, cache, selector, probe) = (input.InputsEmbeds, input.Tokens, input.Cache, input.Selector, input.Probe);
        var plan = selector?.Stages ?? [];
        if (probe is not null && (cache is not null || plan.Count > 0))
            throw new InvalidOperationException("a probe of every layer watches a cache-free pass without pruning stages");
        for (int s = 0; s < plan.Count; s++)
            if (plan[s].AfterLayer < 0 || plan[s].AfterLayer >= layers.Count)
                throw new LVPruneException($"pruning layer {plan[s].AfterLayer} is outside the model's {layers.Count} decoder layers");

        // Padding anywhere in the batch, new or cached, decides whether attention needs masks at all.
        bool hasPadding = tokens.HasPadding || (cache?.HasPadding ?? false);
        if (cache is not null) cache.HasPadding = hasPadding;
        var pass = new AttentionPass((int)tokens.Length, cache is not null, _dtype, h.device_type, _config.NumAttentionHeads, _config.KvHeads,
                                     _config.HeadDimension, is_grad_enabled());
        var attention = Attention.Choose(pass, _runtime, _decodeAttention);

        var stages = new List<StageOutcome>();
        var observations = probe is null ? null : new List<Tensor>();
        int stage = 0;
        Tensor? imageKeep = null;
        bool padAlike = cache?.LayersPadAlike ?? true;
        var masks = new AttentionMasks((int)tokens.Length, hasPadding, padAlike);
        var (cos, sin) = _rope.Get(tokens.PositionIds, _dtype);
        for (int i = 0; i < layers.Count; i++)
        {
            bool decides = stage < plan.Count && plan[stage].AfterLayer == i;
            var output = layers[i].forward(new DecoderLayerInput(h, cos, sin, tokens.Valid, masks, cache?[i], attention,
                                                                 probe ?? (decides ? plan[stage].Probe : null)));
            h = output.Hidden;
            if (observations is not null) observations.Add(output.Observation!);
            if (!decides) continue;
            var decision = selector!.Decide(new StageInput(stage, h, tokens, output.Observation, imageKeep));
            if (decision.KeepIndices is { } keep)
            {
                var index = keep.to(ScalarType.Int64);                                      // [B, T']
                h = h.gather(1, index.unsqueeze(-1).expand(h.shape[0], index.shape[1], h.shape[2])); // [B, T', D]
                tokens = tokens.Gather(index);
            }
            if (decision.ImageKeep is { } d) imageKeep = d;
            if (decision.Attention is { } a) attention = a;
            stages.Add(new StageOutcome(i, tokens, decision.SoftKeep, decision.ImageKeep, decision.Scores));
            masks.Dispose();
            masks = new AttentionMasks((int)tokens.Length, hasPadding, padAlike);
            (cos, sin) = _rope.Get(tokens.PositionIds, _dtype);
            stage++;
        }
        masks.Dispose();
        h = norm.forward(h);
        return new DecoderOutput(h, tokens, stages, observations).MoveToOuterDisposeScope(keep: input.Tokens.Tensors());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _rope.Dispose();
        base.Dispose(disposing);
    }
}
