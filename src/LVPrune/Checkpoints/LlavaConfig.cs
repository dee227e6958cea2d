using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace LVPrune.Checkpoints;

/// <summary>
/// config.json of <c>LlavaForConditionalGeneration</c> in the llava-hf layout. Defaults follow
/// transformers' LlavaConfig: a missing text_config is a default LlamaConfig, a missing
/// vision_config is CLIP ViT-L/14-336; inside a given sub-config, omitted keys take that
/// sub-config class's defaults.
/// </summary>
public sealed record LlavaConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "llava";
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    [JsonPropertyName("text_config")] public LlamaConfig TextConfig { get; init; } = new();
    [JsonPropertyName("vision_config")] public ClipVisionConfig VisionConfig { get; init; } = ClipVisionConfig.ClipVitL14_336;
    [JsonPropertyName("image_token_index")] public int ImageTokenIndex { get; init; } = 32000;
    [JsonPropertyName("projector_hidden_act")] public string ProjectorHiddenAct { get; init; } = "gelu";
    /// <summary>"default" drops the class token, "full" keeps it.</summary>
    [JsonPropertyName("vision_feature_select_strategy")] public string VisionFeatureSelectStrategy { get; init; } = "default";
    /// <summary>Index into CLIP's hidden_states (0 = embeddings after pre_layrnorm, i = after layer i; negative from the end).</summary>
    [JsonPropertyName("vision_feature_layer")] public int VisionFeatureLayer { get; init; } = -2;
    [JsonPropertyName("multimodal_projector_bias")] public bool MultimodalProjectorBias { get; init; } = true;
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
    [JsonPropertyName("tie_word_embeddings")] public bool? TieWordEmbeddings { get; init; }

    /// <summary>Number of image tokens one image becomes in the language model.</summary>
    [JsonIgnore] public int ImageTokens => VisionConfig.NumPatches + (VisionFeatureSelectStrategy == "full" ? 1 : 0);

    /// <summary>How many CLIP encoder layers must run to produce the selected hidden state.</summary>
    [JsonIgnore] public int VisionLayersToRun =>
        VisionFeatureLayer >= 0 ? VisionFeatureLayer : VisionConfig.NumHiddenLayers + 1 + VisionFeatureLayer;

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Loads DIR/config.json (or a path to a config file) and validates it.</summary>
    public static LlavaConfig Load(string pathOrDir)
    {
        string path = Directory.Exists(pathOrDir) ? Path.Combine(pathOrDir, "config.json") : pathOrDir;
        if (!File.Exists(path))
            throw new LVPruneException(Directory.Exists(pathOrDir) || pathOrDir.EndsWith(".json", StringComparison.Ordinal)
                ? $"config file not found: {path}" : $"model folder not found: {pathOrDir}");
        return Parse(File.ReadAllText(path), path);
    }

    public static LlavaConfig Parse(string json, string source = "config.json")
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new LVPruneException($"{source}: not valid JSON ({e.Message})"); }
        if (root is not JsonObject obj) throw new LVPruneException($"{source}: expected a JSON object");

        string? modelType = (string?)obj["model_type"];
        var archs = obj["architectures"] as JsonArray;
        bool isLlava = modelType == "llava" || (archs?.Any(a => (string?)a == "LlavaForConditionalGeneration") ?? false);
        if (!isLlava)
            throw new LVPruneException($"{source}: not a LLaVA config (model_type '{modelType ?? "missing"}', architectures [{string.Join(", ", archs?.Select(a => (string?)a) ?? [])}]); expected model_type 'llava' / LlavaForConditionalGeneration");

        LlavaConfig cfg;
        try { cfg = obj.Deserialize<LlavaConfig>(Options)!; }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        { throw new LVPruneException($"{source}: {e.Message}"); }
        // A text_config present but without vocab_size: HF LlavaConfig copies nothing from the top level,
        // but older files carried vocab_size at the top; honour that as transformers did.
        if (obj["text_config"] is JsonObject tc && tc["vocab_size"] is null && obj["vocab_size"] is JsonValue v)
            cfg = cfg with { TextConfig = cfg.TextConfig with { VocabSize = (int)v } };
        cfg.Validate(source);
        return cfg;
    }

    public void Validate(string source = "config.json")
    {
        var t = TextConfig; var v = VisionConfig;
        if (t.ModelType != "llama")
            throw new LVPruneException($"{source}: text_config.model_type '{t.ModelType}' is not supported (only 'llama')");
        if (v.ModelType is not ("clip_vision_model" or "clip"))
            throw new LVPruneException($"{source}: vision_config.model_type '{v.ModelType}' is not supported (only 'clip_vision_model')");
        if (t.HiddenAct != "silu")
            throw new LVPruneException($"{source}: text_config.hidden_act '{t.HiddenAct}' is not supported (only 'silu')");
        if (v.HiddenAct is not ("quick_gelu" or "gelu"))
            throw new LVPruneException($"{source}: vision_config.hidden_act '{v.HiddenAct}' is not supported (quick_gelu or gelu)");
        if (ProjectorHiddenAct is not ("gelu" or "gelu_pytorch_tanh" or "quick_gelu" or "silu" or "relu"))
            throw new LVPruneException($"{source}: projector_hidden_act '{ProjectorHiddenAct}' is not supported");
        if (VisionFeatureSelectStrategy is not ("default" or "full"))
            throw new LVPruneException($"{source}: vision_feature_select_strategy '{VisionFeatureSelectStrategy}' must be 'default' or 'full'");
        if (VisionLayersToRun < 0 || VisionLayersToRun > v.NumHiddenLayers)
            throw new LVPruneException($"{source}: vision_feature_layer {VisionFeatureLayer} is outside CLIP's {v.NumHiddenLayers} layers");
        if (t.NumAttentionHeads % t.KvHeads != 0)
            throw new LVPruneException($"{source}: num_attention_heads {t.NumAttentionHeads} is not a multiple of num_key_value_heads {t.KvHeads}");
        if (v.ImageSize % v.PatchSize != 0 || v.HiddenSize % v.NumAttentionHeads != 0)
            throw new LVPruneException($"{source}: vision_config image_size {v.ImageSize} / patch_size {v.PatchSize} / hidden_size {v.HiddenSize} are inconsistent");
        if (t.HeadDimension % 2 != 0)
            throw new LVPruneException($"{source}: head_dim {t.HeadDimension} must be even for rotary embeddings");
        if (t.RopeScaling is { } rs)
        {
            string type = rs.TryGetValue("rope_type", out var rt) ? rt.GetString() ?? "" : rs.TryGetValue("type", out var ty) ? ty.GetString() ?? "" : "";
            if (type is not ("linear" or "default"))
                throw new LVPruneException($"{source}: rope_scaling type '{type}' is not supported (only 'linear')");
        }
    }

    /// <summary>Linear RoPE scaling factor (1 when none).</summary>
    [JsonIgnore] public double RopeLinearFactor =>
        TextConfig.RopeScaling is { } rs && rs.TryGetValue("factor", out var f) && f.ValueKind == JsonValueKind.Number
        && (rs.TryGetValue("rope_type", out var t) ? t.GetString() : rs.TryGetValue("type", out var t2) ? t2.GetString() : null) == "linear"
            ? f.GetDouble() : 1.0;

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Writes config.json atomically.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), ToJson());
    }
}
