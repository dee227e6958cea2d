using System.Text.Json.Serialization;

namespace LVPrune.Checkpoints;

/// <summary>
/// The vision tower's configuration (`vision_config`). Defaults are Hugging Face's
/// <c>CLIPVisionConfig</c> defaults (ViT-B/32 at 224) for keys a file omits; a llava config with no
/// vision_config at all gets <see cref="ClipVitL14_336"/>, as <c>LlavaConfig</c> does.
/// </summary>
public sealed record ClipVisionConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "clip_vision_model";
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("projection_dim")] public int ProjectionDim { get; init; } = 512;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 32;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>Patches per side.</summary>
    [JsonIgnore] public int GridSize => ImageSize / PatchSize;
    [JsonIgnore] public int NumPatches => GridSize * GridSize;

    /// <summary>HF LlavaConfig's vision default: CLIP ViT-L/14 at 336 px.</summary>
    public static ClipVisionConfig ClipVitL14_336 => new()
    {
        HiddenSize = 1024, IntermediateSize = 4096, ProjectionDim = 768, NumHiddenLayers = 24,
        NumAttentionHeads = 16, ImageSize = 336, PatchSize = 14,
    };
}
