namespace LVPrune.Checkpoints;

/// <summary>
/// Configurations known by name: the real LLaVA-1.5-7B shape (what `bench --preset llava-1.5-7b` and
/// the parameter-manifest test build) and the toy model's architecture (what `train --init-toy`
/// writes and `bench --preset toy` times).
/// </summary>
public static class ModelPresets
{
    /// <summary>llava-hf/llava-1.5-7b-hf's config.json (vocab 32064 with the added tokens, pad 32001).</summary>
    public static LlavaConfig Llava15_7B => new()
    {
        Architectures = ["LlavaForConditionalGeneration"],
        ImageTokenIndex = 32000,
        PadTokenId = 32001,
        TextConfig = new LlamaConfig { VocabSize = 32064, RmsNormEps = 1e-5, MaxPositionEmbeddings = 4096 },
        VisionConfig = ClipVisionConfig.ClipVitL14_336,
    };

    /// <summary>Side of the toy model's square input images, in pixels.</summary>
    public const int ToyImageSize = 192;
    /// <summary>Side of the toy model's CLIP patches: 192 / 16 = 12 x 12 = 144 image tokens.</summary>
    public const int ToyPatchSize = 16;

    /// <summary>
    /// The toy LLaVA: the real architecture and checkpoint layout at a size a 2-core CPU trains in
    /// minutes. CLIP at 192 px with 16 px patches gives 144 image tokens (so pruning has room to work);
    /// an 8-layer LLaMA puts LVPruning's stages after layers 0, 1 and 3 (after the first layer, a
    /// quarter and half way). The vocabulary comes from the tokenizer the toy recipe writes.
    /// </summary>
    public static LlavaConfig Toy(int vocabSize, int imageTokenId, int padId) => new()
    {
        Architectures = ["LlavaForConditionalGeneration"],
        ImageTokenIndex = imageTokenId,
        PadTokenId = padId,
        VisionConfig = new ClipVisionConfig
        {
            HiddenSize = 128, IntermediateSize = 512, NumHiddenLayers = 4, NumAttentionHeads = 4,
            ImageSize = ToyImageSize, PatchSize = ToyPatchSize, ProjectionDim = 128, HiddenAct = "quick_gelu",
        },
        TextConfig = new LlamaConfig
        {
            VocabSize = vocabSize, HiddenSize = 128, IntermediateSize = 384, NumHiddenLayers = 8,
            NumAttentionHeads = 4, NumKeyValueHeads = 4, MaxPositionEmbeddings = 512, RmsNormEps = 1e-5,
            RopeTheta = 10000, PadTokenId = padId, BosTokenId = 1, EosTokenId = 2,
        },
    };

    /// <summary>A preset by its command-line name: llava-1.5-7b, or toy (with a 600-token vocabulary, for timing).</summary>
    public static LlavaConfig ByName(string name) => name switch
    {
        "llava-1.5-7b" => Llava15_7B,
        "toy" => Toy(vocabSize: 600, imageTokenId: 598, padId: 599),
        _ => throw new LVPruneException($"--preset '{name}' is not one of llava-1.5-7b, toy"),
    };
}
