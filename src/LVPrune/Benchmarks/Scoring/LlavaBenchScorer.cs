using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// LLaVA-Bench (in-the-wild) from a judge's review file, aggregated as llava/eval/summarize_gpt_review.py
/// does: each line's "tuple" [reference score, model score] (a review the judge's reply could not be
/// parsed from is [-1, -1] and is averaged in like any other) goes to its "category" and to "all" (a
/// line without "category" only to "all", with "tuple", else "score"); per key, sorted: the column means
/// (numpy, summed in file order), each rounded to 3 decimals; printed as round(mean2 / mean1 * 100, 1),
/// round(mean1 * 10, 1), round(mean2 * 10, 1). The relative score of "all" (mean2 / mean1 from the
/// rounded means) is the headline. Every line counts, duplicates included, as in the script.
/// </summary>
public static class LlavaBenchScorer
{
    public static ScoreReport Score(string reviewsPath)
    {
        var warnings = new List<string>();
        var scores = new SortedDictionary<string, List<double[]>>(StringComparer.Ordinal);
        var lines = JsonFiles.Lines(reviewsPath, "review file");
        int count = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            string where = $"{reviewsPath} line {i + 1}";
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            if (JsonFiles.TryParseLine(lines[i]) is not { ValueKind: JsonValueKind.Object } review)
            {
                warnings.Add($"{where}: not a valid JSON object, skipped");
                continue;
            }
            var category = JsonFiles.Get(review, "category");
            var pair = Pair(JsonFiles.Get(review, "tuple") ?? (category is null ? JsonFiles.Get(review, "score") : null), where);
            if (category is { } c) Add(scores, c.ValueKind == JsonValueKind.String ? c.GetString()! : c.GetRawText(), pair);
            Add(scores, "all", pair);
            count++;
        }
        if (count == 0) throw new LVPruneException($"{reviewsPath}: no reviews (expected the judge's review jsonl with \"tuple\": [s1, s2])");

        var text = new List<string> { Path.GetFileNameWithoutExtension(reviewsPath) };
        var categories = new JsonObject();
        double headline = 0;
        var means = new JsonObject();
        foreach (var (key, pairs) in scores)
        {
            double m1 = PyFloat.Round(ColumnMean(pairs, 0), 3), m2 = PyFloat.Round(ColumnMean(pairs, 1), 3);
            if (m1 == 0) throw new LVPruneException($"{reviewsPath}: the reference answers' mean score in \"{key}\" is 0 (summarize_gpt_review.py divides by it)");
            double relative = m2 / m1;
            text.Add($"{key} {PyFloat.Repr(PyFloat.Round(relative * 100, 1))} {PyFloat.Repr(PyFloat.Round(m1 * 10, 1))} {PyFloat.Repr(PyFloat.Round(m2 * 10, 1))}");
            if (key == "all") headline = relative;
            else categories[key] = relative;
            means[key] = new JsonArray(m1, m2);
        }
        text.Add("=================================");
        int failed = scores["all"].Count(p => p[0] == -1 && p[1] == -1);
        if (failed > 0) warnings.Add($"{failed} reviews are [-1, -1] (the judge's reply could not be parsed); they are averaged in, as summarize_gpt_review.py does");
        return new ScoreReport
        {
            Benchmark = "llava-bench", Count = count, Accuracy = headline, Text = text, Warnings = warnings,
            Extra = new JsonObject { ["categories"] = categories, ["mean_scores"] = means, ["parse_failures"] = failed },
        };
    }

    private static void Add(SortedDictionary<string, List<double[]>> scores, string key, double[] pair)
    {
        if (!scores.TryGetValue(key, out var list)) scores[key] = list = [];
        list.Add(pair);
    }

    // np.asarray(v).mean(0): the column summed row by row in file order, divided by the count.
    private static double ColumnMean(List<double[]> pairs, int column)
    {
        double sum = 0;
        foreach (var p in pairs) sum += p[column];
        return sum / pairs.Count;
    }

    private static double[] Pair(JsonElement? tuple, string where)
    {
        if (tuple is not { ValueKind: JsonValueKind.Array } t || t.GetArrayLength() != 2 || t.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number))
            throw new LVPruneException($"{where}: \"tuple\" must be a pair of numbers [reference score, model score]");
        return t.EnumerateArray().Select(x => x.GetDouble()).ToArray();
    }
}
