using System.Text.Json;
using System.Text.Json.Serialization;

namespace LVPrune.Flops;

/// <summary>TFLOPs (10^12 FLOPs) of each part of one prefill forward pass.</summary>
public sealed record FlopsParts(
    [property: JsonPropertyName("vision_tower"), JsonPropertyOrder(0)] double VisionTower,
    [property: JsonPropertyName("projector"), JsonPropertyOrder(1)] double Projector,
    [property: JsonPropertyName("language_model"), JsonPropertyOrder(2)] double LanguageModel,
    [property: JsonPropertyName("decision_modules"), JsonPropertyOrder(3)] double DecisionModules,
    [property: JsonPropertyName("lm_head"), JsonPropertyOrder(4)] double LmHead)
{
    /// <summary>The sum of the parts.</summary>
    [JsonIgnore]
    public double Total => VisionTower + Projector + LanguageModel + DecisionModules + LmHead;
}

/// <summary>
/// The result of <see cref="FlopsModel.Compute"/>. Serialises exactly to
/// <c>{"total_tflops": t, "parts": {"vision_tower": .., "projector": .., "language_model": ..,
/// "decision_modules": .., "lm_head": ..}, "tokens_per_layer": [...]}</c>.
/// </summary>
/// <param name="TotalTflops">The sum of <paramref name="Parts"/>, in TFLOPs.</param>
/// <param name="Parts">TFLOPs per part.</param>
/// <param name="TokensPerLayer">Tokens each LLM layer processes (index = 0-based layer).</param>
public sealed record FlopsReport(
    [property: JsonPropertyName("total_tflops"), JsonPropertyOrder(0)] double TotalTflops,
    [property: JsonPropertyName("parts"), JsonPropertyOrder(1)] FlopsParts Parts,
    [property: JsonPropertyName("tokens_per_layer"), JsonPropertyOrder(2)] IReadOnlyList<int> TokensPerLayer)
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
