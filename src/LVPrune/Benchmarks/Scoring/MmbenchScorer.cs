using System.Text.Json.Nodes;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// MMBench dev (English or Chinese) as LLaVA's submission converter and VLMEvalKit's circular
/// evaluation with exact matching score it:
/// <list type="number">
/// <item>scripts/convert_mmbench_for_submission.py: each TSV row's prediction is the text of the last
/// answer line whose question_id equals the row's index; the sheet goes through xlsx and
/// <c>pandas.read_excel</c>, where an empty or missing prediction, or a text pandas reads as missing
/// ("NA", "None", "null", "nan", ...), becomes NaN and then the string "nan" (VLMEvalKit's
/// <c>str(x)</c>); a text starting with "=" is written as a formula with no cached value and is read back
/// as missing too;</item>
/// <item>VLMEvalKit mcq_circular_eval (0bccf45, before #1552): rows sorted by index; a group is
/// index % 1e6; it scores 1 iff every row of the group has <see cref="MmbenchMatching.CanInfer"/> equal
/// to the row's answer (choices = the row's non-missing options A-D); a row that cannot be inferred
/// would go to the LLM judge, and with exact matching counts as wrong;</item>
/// <item>vanilla accuracy (VLMEvalKit's PRINT_VANILLA): each row alone, an uninferable answer read as
/// "Z"; over the rows with index &lt;= 1e6 (<see cref="ScoreReport"/>'s vanilla_accuracy) and over all
/// rows.</item>
/// </list>
/// </summary>
public static class MmbenchScorer
{
    public static ScoreReport Score(Benchmark benchmark, string answersPath, string tsvPath)
    {
        var warnings = new List<string>();
        var table = MmbenchTable.Read(tsvPath);
        if (!table.HasAnswers) throw new LVPruneException($"{tsvPath}: no \"answer\" column (the test split has no public answers: submit the export to the server)");
        var answers = AnswerSet.Read(answersPath, warnings);
        var indexes = table.Rows.Select(r => r.Index).ToHashSet();
        answers.RequireKnown(id => id.IsInteger && long.TryParse(id.Display, out long i) && indexes.Contains(i), tsvPath);

        // The converter's prediction column, then its xlsx round trip.
        var raw = table.Rows.Select(r => answers.Latest.TryGetValue(QuestionKey.OfInteger(r.Index), out var a) ? a.Text : null).ToList();
        var predictions = PandasTsv.StrColumn(raw.Select(ExcelRoundTrip).ToList());

        // VLMEvalKit: data.sort_values(by='index').
        var rows = table.Rows.Select((r, k) => (Row: r, Prediction: predictions[k])).OrderBy(x => x.Row.Index).ToList();
        var inferred = rows.Select(x => MmbenchMatching.CanInfer(x.Prediction, x.Row.Choices)).ToList();
        var groups = new List<(long Index, bool Hit)>();
        for (int k = 0; k < rows.Count; k++)
        {
            long index = rows[k].Row.Index;
            if (GroupOf(index) != index) continue;
            bool hit = true;
            for (int j = 0; j < rows.Count && hit; j++)
                if (GroupOf(rows[j].Row.Index) == index && inferred[j] != rows[j].Row.Answer) hit = false;
            groups.Add((index, hit));
        }
        if (groups.Count == 0) throw new LVPruneException($"{tsvPath}: no circular groups (no row has an index below 1,000,000)");

        var vanillaHits = rows.Select((x, k) => (inferred[k] ?? "Z") == x.Row.Answer).ToList();
        var circ0 = rows.Select((x, k) => (x.Row.Index, Hit: vanillaHits[k])).Where(x => x.Index <= 1_000_000).ToList();
        double circular = (double)groups.Count(g => g.Hit) / groups.Count;
        double vanilla0 = circ0.Count == 0 ? 0 : (double)circ0.Count(x => x.Hit) / circ0.Count;
        double vanillaAll = (double)vanillaHits.Count(h => h) / vanillaHits.Count;
        int unresolved = inferred.Count(i => i is null);
        if (unresolved > 0) warnings.Add($"{unresolved} of {rows.Count} answers name no option exact matching can find; they count as wrong (the server would ask an LLM)");
        return new ScoreReport
        {
            Benchmark = benchmark.Name, Count = groups.Count, Accuracy = circular, Warnings = warnings,
            Text =
            [
                $"circular accuracy: {PyFloat.Fixed(100 * circular, 2)}% ({groups.Count(g => g.Hit)}/{groups.Count} groups)",
                $"vanilla accuracy (circular 0): {PyFloat.Fixed(100 * vanilla0, 2)}% ({circ0.Count(x => x.Hit)}/{circ0.Count} rows)",
                $"vanilla accuracy (all rows): {PyFloat.Fixed(100 * vanillaAll, 2)}% ({vanillaHits.Count(h => h)}/{vanillaHits.Count} rows)",
            ],
            Extra = new JsonObject
            {
                ["vanilla_accuracy"] = vanilla0, ["vanilla_accuracy_all_rows"] = vanillaAll,
                ["rows"] = rows.Count, ["unresolved"] = unresolved,
            },
        };
    }

    /// <summary>The circular group of a row: <c>int(index % 1e6)</c>.</summary>
    public static long GroupOf(long index) => (long)(index % 1e6);

    /// <summary>
    /// What openpyxl writes and pandas.read_excel reads back for a prediction cell: null (no answer) and
    /// "" are empty cells; a text starting with "=" (longer than "=") becomes a formula without a cached
    /// value, read as empty; anything else comes back as written.
    /// </summary>
    public static string? ExcelRoundTrip(string? text) =>
        text is null || text.Length == 0 || (text.Length > 1 && text[0] == '=') ? null : text;
}
