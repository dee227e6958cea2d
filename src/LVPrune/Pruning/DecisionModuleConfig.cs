using System.Text.Json.Serialization;

namespace LVPrune.Pruning;

/// <summary>Shape of one LVPruning decision module (paper sec. 3.1; defaults are the paper's).</summary>
public sealed record DecisionModuleConfig
{
    /// <summary>Width C: the language model's hidden size (the module reads LLM hidden states).</summary>
    [JsonPropertyName("width")] public int Width { get; init; }
    /// <summary>Cross-attention blocks in sequence; the second takes the first's output as its query input.</summary>
    [JsonPropertyName("blocks")] public int Blocks { get; init; } = 2;
    /// <summary>Attention heads per block.</summary>
    [JsonPropertyName("heads")] public int Heads { get; init; } = 8;
    /// <summary>FFN hidden width as a multiple of C (Linear(C, 2C) in the paper).</summary>
    [JsonPropertyName("ffn_multiplier")] public int FfnMultiplier { get; init; } = 2;
    /// <summary>Epsilon of the FFN's LayerNorms.</summary>
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;

    public void Validate()
    {
        if (Width <= 0 || Blocks <= 0 || Heads <= 0 || FfnMultiplier <= 0)
            throw new LVPruneException($"decision module shape must be positive (width {Width}, blocks {Blocks}, heads {Heads}, ffn x{FfnMultiplier})");
        if (Width % Heads != 0)
            throw new LVPruneException($"decision module width {Width} is not divisible by its {Heads} heads");
    }
}
