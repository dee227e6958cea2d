using System.Text.Json;
using System.Text.Json.Nodes;

namespace LVPrune.Benchmarks;

/// <summary>
/// The configuration a benchmark run used (model, pruning method, keep ratios, cost), as written into a
/// score file's "config" so `lvprune report` can lay several runs out as the paper's table.
/// </summary>
public sealed record RunConfig(string? ModelId, string Method, IReadOnlyList<double>? KeepRatios, double? Tflops, double? MeanTtftSeconds, double? MeanKeptTokens)
{
    public JsonObject ToJson() => new()
    {
        ["model_id"] = ModelId,
        ["method"] = Method,
        ["keep_ratios"] = KeepRatios is null ? null : new JsonArray(KeepRatios.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
        ["tflops"] = Tflops,
        ["mean_ttft_s"] = MeanTtftSeconds,
        ["mean_kept_tokens"] = MeanKeptTokens,
    };

    /// <summary>
    /// The configuration recorded in an answer file's metadata (our runs write it), when every line
    /// agrees on model, method and keep ratios; null for files without it (LLaVA's, reviews). The mean
    /// kept tokens are those of the last pruning stage, null when no line pruned.
    /// </summary>
    public static RunConfig? FromAnswers(string answersPath)
    {
        string? model = null, method = null, keep = null;
        double ttft = 0, kept = 0;
        int n = 0, pruned = 0;
        foreach (string line in JsonFiles.Lines(answersPath, "answer file"))
        {
            if (JsonFiles.TryParseLine(line) is not { ValueKind: JsonValueKind.Object } json) continue;
            if (JsonFiles.Get(json, "metadata") is not { ValueKind: JsonValueKind.Object } meta
                || JsonFiles.Get(meta, "method") is not { ValueKind: JsonValueKind.String } m) return null;
            string lineModel = JsonFiles.Get(json, "model_id")?.ToString() ?? "";
            string lineKeep = JsonFiles.Get(meta, "keep_ratios")?.GetRawText() ?? "null";
            if (n > 0 && (lineModel != model || m.GetString() != method || lineKeep != keep)) return null;
            (model, method, keep) = (lineModel, m.GetString(), lineKeep);
            if (JsonFiles.Get(meta, "ttft_s") is { ValueKind: JsonValueKind.Number } t) ttft += t.GetDouble();
            if (JsonFiles.Get(meta, "kept_tokens") is { ValueKind: JsonValueKind.Array } k && k.GetArrayLength() > 0) { kept += k[k.GetArrayLength() - 1].GetDouble(); pruned++; }
            n++;
        }
        if (n == 0 || method is null) return null;
        var ratios = JsonNode.Parse(keep!) is JsonArray a ? a.Select(x => x!.GetValue<double>()).ToArray() : null;
        return new RunConfig(model, method, ratios, null, ttft / n, pruned == 0 ? null : kept / pruned);
    }
}
