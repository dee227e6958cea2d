using System.Text.Json;
using System.Text.Json.Serialization;

namespace LVPrune.Evaluation;

/// <summary>
/// The scores of one evaluation run. Serialises exactly to
/// <c>{"accuracy": a, "families": {"name": a, ...}, "pope": {"precision": p, "recall": r,
/// "f1": f, "yes_ratio": y}, "count": n}</c>, with "pope" null when no yes/no item was scored.
/// </summary>
/// <remarks>All accuracies and POPE metrics are fractions in [0, 1], not percentages (the paper's
/// 78.5 is 0.785 here). Families are listed in ordinal order of their names.</remarks>
public sealed class EvalReport
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public EvalReport(double accuracy, IReadOnlyDictionary<string, double> families, PopeMetrics? pope, int count)
    {
        ArgumentNullException.ThrowIfNull(families);
        Accuracy = accuracy;
        Families = new SortedDictionary<string, double>(families.ToDictionary(), StringComparer.Ordinal);
        Pope = pope;
        Count = count;
    }

    /// <summary>Mean item score over all items (VQA accuracy, or 1/0 for yes/no items).</summary>
    [JsonPropertyName("accuracy"), JsonPropertyOrder(0)]
    public double Accuracy { get; }

    /// <summary>Mean item score per family (benchmark or split name).</summary>
    [JsonPropertyName("families"), JsonPropertyOrder(1)]
    public IReadOnlyDictionary<string, double> Families { get; }

    /// <summary>POPE metrics over the yes/no items, or null when there were none.</summary>
    [JsonPropertyName("pope"), JsonPropertyOrder(2)]
    public PopeMetrics? Pope { get; }

    /// <summary>Number of items scored.</summary>
    [JsonPropertyName("count"), JsonPropertyOrder(3)]
    public int Count { get; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            AtomicFile.WriteAllText(path, ToJson() + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"cannot write the evaluation report '{path}': {e.Message}", e);
        }
    }
}
