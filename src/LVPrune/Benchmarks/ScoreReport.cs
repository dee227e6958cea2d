using System.Text.Json;
using System.Text.Json.Nodes;

namespace LVPrune.Benchmarks;

/// <summary>
/// A benchmark's score: <c>{"benchmark", "count", "accuracy", ...}</c> where accuracy is the paper's
/// headline as a fraction (0.672, not 67.2) and the rest are the benchmark's own fields. <see cref="Text"/>
/// holds the lines the official script prints (percentages with its decimals).
/// </summary>
public sealed class ScoreReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public required string Benchmark { get; init; }
    public required int Count { get; init; }
    public required double Accuracy { get; init; }
    /// <summary>Benchmark-specific fields, written after accuracy in this order.</summary>
    public JsonObject Extra { get; init; } = [];
    /// <summary>What the official script prints, line by line.</summary>
    public IReadOnlyList<string> Text { get; init; } = [];
    /// <summary>Skipped lines and other things the user should know (printed on standard error).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public JsonObject ToJsonObject()
    {
        var o = new JsonObject { ["benchmark"] = Benchmark, ["count"] = Count, ["accuracy"] = Accuracy };
        foreach (var (k, v) in Extra) o[k] = v?.DeepClone();
        return o;
    }

    public string ToJson() => ToJsonObject().ToJsonString(Indented);

    /// <summary>Reads a score file written by <c>score --json</c> or <c>eval --json</c>.</summary>
    public static JsonObject Load(string path)
    {
        using var doc = JsonFiles.Load(path, "score file");
        var node = JsonNode.Parse(doc.RootElement.GetRawText()) as JsonObject
                   ?? throw new LVPruneException($"{path}: a score file holds one JSON object");
        foreach (string key in new[] { "benchmark", "accuracy" })
            if (node[key] is null) throw new LVPruneException($"{path}: \"{key}\" is missing (not a score file?)");
        return node;
    }
}
