using System.Text.Json.Serialization;

namespace LVPrune.Checkpoints;

/// <summary>
/// The language model's configuration (`text_config` of a llava-hf config.json). Every default is
/// Hugging Face's <c>LlamaConfig</c> default, so a file that omits a key means what it means in
/// transformers (note rms_norm_eps defaults to 1e-6 there; LLaVA-1.5 files set 1e-5 explicitly).
/// </summary>
public sealed record LlamaConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "llama";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 32000;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 4096;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 11008;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 32;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 32;
    /// <summary>null = num_attention_heads (no grouped-query attention).</summary>
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; init; }
    /// <summary>null = hidden_size / num_attention_heads.</summary>
    [JsonPropertyName("head_dim")] public int? HeadDim { get; init; }
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 2048;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    /// <summary>Only {"type"|"rope_type": "linear", "factor": f} is supported; null = none.</summary>
    [JsonPropertyName("rope_scaling")] public Dictionary<string, System.Text.Json.JsonElement>? RopeScaling { get; init; }
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; } = false;
    [JsonPropertyName("mlp_bias")] public bool MlpBias { get; init; } = false;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = false;
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; } = 1;
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; init; } = 2;
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }

    [JsonIgnore] public int KvHeads => NumKeyValueHeads ?? NumAttentionHeads;
    [JsonIgnore] public int HeadDimension => HeadDim ?? HiddenSize / NumAttentionHeads;
}
