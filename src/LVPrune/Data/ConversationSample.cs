using System.Text.Json;

namespace LVPrune.Data;

/// <summary>
/// One entry of a LLaVA conversation file (llava_v1_5_mix665k.json and the like).
/// </summary>
/// <param name="Id">The entry's "id"; a numeric id is kept as its JSON text (e.g. "42").</param>
/// <param name="Image">The "image" path as written (relative to the JSON's folder, or absolute); null for text-only entries.</param>
/// <param name="Turns">The conversation: human and gpt turns alternating, human first.</param>
/// <param name="Family">The optional "family" field (ShapesVQA's question family).</param>
/// <param name="PopeSplit">The optional "pope_split" field (random / popular / adversarial).</param>
/// <param name="Extra">Every other field of the entry (e.g. "model", "objects") as one JSON object; null when there is none.</param>
public sealed record ConversationSample(
    string Id, string? Image, IReadOnlyList<Turn> Turns, string? Family, string? PopeSplit, JsonElement? Extra);
