using System.Text.Json.Serialization;

namespace LVPrune.Evaluation;

/// <summary>
/// POPE's binary metrics with "yes" as the positive class, as fractions in [0, 1]: precision =
/// TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R), accuracy = (TP + TN) / count,
/// yes ratio = predicted yes / count (llava/eval/eval_pope.py). A ratio whose denominator is 0
/// (where the Python script would raise) is reported as 0.
/// </summary>
/// <remarks>Serialised inside <see cref="EvalReport"/> with only precision, recall, f1 and
/// yes_ratio; <see cref="Accuracy"/> and <see cref="Count"/> stay available in code.</remarks>
public sealed record PopeMetrics(
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonIgnore] double Accuracy,
    [property: JsonPropertyName("yes_ratio")] double YesRatio,
    [property: JsonIgnore] int Count)
{
    /// <summary>The metrics of a non-empty list of (predicted, true) answers, true meaning "yes".</summary>
    public static PopeMetrics Compute(IEnumerable<(bool PredictedYes, bool TruthYes)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        int tp = 0, fp = 0, tn = 0, fn = 0;
        foreach (var (predictedYes, truthYes) in items)
        {
            if (predictedYes && truthYes) tp++;
            else if (predictedYes) fp++;
            else if (truthYes) fn++;
            else tn++;
        }
        int count = tp + fp + tn + fn;
        if (count == 0)
            throw new ArgumentException("POPE metrics need at least one item.", nameof(items));

        double precision = Ratio(tp, tp + fp);
        double recall = Ratio(tp, tp + fn);
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new PopeMetrics(precision, recall, f1, Ratio(tp + tn, count), Ratio(tp + fp, count), count);
    }

    private static double Ratio(int numerator, int denominator) =>
        denominator == 0 ? 0 : (double)numerator / denominator;
}
