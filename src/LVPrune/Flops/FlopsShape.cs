namespace LVPrune.Flops;

/// <summary>
/// The sizes the FLOPs model needs: vision tower, projector, language model and the LVPruning
/// decision modules. See <see cref="FlopsModel"/> for what is counted.
/// </summary>
public sealed record FlopsShape
{
    // ---- Vision tower (CLIP ViT) ----

    /// <summary>Transformer layers actually run: LLaVA-1.5 takes layer -2, so 23 of CLIP's 24 are needed.</summary>
    public required int VisionLayers { get; init; }

    /// <summary>Hidden width of the vision transformer (1024 for ViT-L).</summary>
    public required int VisionWidth { get; init; }

    /// <summary>Width of the vision MLP (4096 for ViT-L); two matrices, no gate.</summary>
    public required int VisionMlpWidth { get; init; }

    /// <summary>Attention heads of the vision tower (16). Heads do not change the FLOPs.</summary>
    public required int VisionHeads { get; init; }

    /// <summary>Side of a square patch in pixels (14).</summary>
    public required int VisionPatchSize { get; init; }

    /// <summary>Side of the square input image in pixels (336).</summary>
    public required int VisionImageSize { get; init; }

    /// <summary>Input image channels (3).</summary>
    public required int VisionChannels { get; init; }

    /// <summary>Whether the tower prepends a class token (CLIP: yes; it is dropped before the projector).</summary>
    public required bool VisionClassToken { get; init; }

    // ---- Projector (Linear -> GELU -> Linear) ----

    /// <summary>Input width of the projector (= vision width, 1024).</summary>
    public required int ProjectorIn { get; init; }

    /// <summary>Hidden width of the projector (4096).</summary>
    public required int ProjectorHidden { get; init; }

    /// <summary>Output width of the projector (= language model hidden size, 4096).</summary>
    public required int ProjectorOut { get; init; }

    // ---- Language model (LLaMA) ----

    /// <summary>Decoder layers (32).</summary>
    public required int LmLayers { get; init; }

    /// <summary>Hidden size d (4096).</summary>
    public required int LmHidden { get; init; }

    /// <summary>SwiGLU intermediate size m (11008); the MLP has three d x m matrices.</summary>
    public required int LmIntermediate { get; init; }

    /// <summary>Query heads (32).</summary>
    public required int LmHeads { get; init; }

    /// <summary>Key/value heads (32 for LLaMA-2-7B; fewer with grouped-query attention).</summary>
    public required int LmKvHeads { get; init; }

    /// <summary>Width of one head (128).</summary>
    public required int LmHeadDim { get; init; }

    /// <summary>Vocabulary size of the LM head (32000).</summary>
    public required int Vocab { get; init; }

    // ---- LVPruning decision modules ----

    /// <summary>Width C of the decision modules; null means the language model hidden size.</summary>
    public int? DecisionWidth { get; init; }

    /// <summary>Cross-attention blocks per module (2).</summary>
    public int DecisionBlocks { get; init; } = 2;

    /// <summary>Heads per cross-attention block (8). Heads do not change the FLOPs.</summary>
    public int DecisionHeads { get; init; } = 8;

    /// <summary>Width of the FFN inside a block; null means 2C.</summary>
    public int? DecisionFfnWidth { get; init; }

    /// <summary>The LLM layers (0-based) after which the modules run: after layers 1, 8, 16 in 1-based terms.</summary>
    public IReadOnlyList<int> DecisionAfterLayers { get; init; } = [0, 7, 15];

    // ---- Derived ----

    /// <summary>Vision tokens handed to the language model: (image / patch)^2 = 576.</summary>
    public int VisionPatchTokens => (VisionImageSize / VisionPatchSize) * (VisionImageSize / VisionPatchSize);

    /// <summary>Tokens inside the vision tower: the patches plus the class token (577).</summary>
    public int VisionSequence => VisionPatchTokens + (VisionClassToken ? 1 : 0);

    /// <summary>The decision width C actually used.</summary>
    public int EffectiveDecisionWidth => DecisionWidth ?? LmHidden;

    /// <summary>The decision FFN width actually used.</summary>
    public int EffectiveDecisionFfnWidth => DecisionFfnWidth ?? 2 * EffectiveDecisionWidth;

    /// <summary>LLaVA-1.5-7B: CLIP ViT-L/14-336 (23 of 24 layers needed), MLP projector, Vicuna-7B.</summary>
    public static FlopsShape Llava15_7B { get; } = new()
    {
        VisionLayers = 23,
        VisionWidth = 1024,
        VisionMlpWidth = 4096,
        VisionHeads = 16,
        VisionPatchSize = 14,
        VisionImageSize = 336,
        VisionChannels = 3,
        VisionClassToken = true,
        ProjectorIn = 1024,
        ProjectorHidden = 4096,
        ProjectorOut = 4096,
        LmLayers = 32,
        LmHidden = 4096,
        LmIntermediate = 11008,
        LmHeads = 32,
        LmKvHeads = 32,
        LmHeadDim = 128,
        Vocab = 32000,
    };

    /// <summary>The shape of a model described by a llava config.json; decision modules at
    /// <paramref name="decisionLayers"/> (default: the relative depths of the paper).</summary>
    public static FlopsShape From(Checkpoints.LlavaConfig c, IReadOnlyList<int>? decisionLayers = null, Pruning.DecisionModuleConfig? module = null)
    {
        var v = c.VisionConfig;
        var t = c.TextConfig;
        return new FlopsShape
        {
            VisionLayers = c.VisionLayersToRun,
            VisionWidth = v.HiddenSize,
            VisionMlpWidth = v.IntermediateSize,
            VisionHeads = v.NumAttentionHeads,
            VisionPatchSize = v.PatchSize,
            VisionImageSize = v.ImageSize,
            VisionChannels = v.NumChannels,
            VisionClassToken = true,
            ProjectorIn = v.HiddenSize,
            ProjectorHidden = t.HiddenSize,
            ProjectorOut = t.HiddenSize,
            LmLayers = t.NumHiddenLayers,
            LmHidden = t.HiddenSize,
            LmIntermediate = t.IntermediateSize,
            LmHeads = t.NumAttentionHeads,
            LmKvHeads = t.KvHeads,
            LmHeadDim = t.HeadDimension,
            Vocab = t.VocabSize,
            DecisionWidth = module?.Width,
            DecisionBlocks = module?.Blocks ?? 2,
            DecisionHeads = module?.Heads ?? 8,
            DecisionFfnWidth = module is null ? null : module.FfnMultiplier * module.Width,
            DecisionAfterLayers = decisionLayers ?? Pruning.KeepRatios.DefaultLayers(t.NumHiddenLayers),
        };
    }
}
