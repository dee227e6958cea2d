using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LVPrune.Benchmarks.Scoring;
using LVPrune.Evaluation;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Export;

/// <summary>
/// What LLaVA's converters write for the benchmarks scored elsewhere, from an answer file:
/// <list type="bullet">
/// <item>vqav2 (convert_vqav2_for_submission.py): the EvalAI upload, [{"question_id", "answer":
/// EvalAIAnswerProcessor(text)}] for every question of the question file, "" where none was answered;</item>
/// <item>vizwiz (convert_vizwiz_for_submission.py): [{"image", "answer"}] in question order, every
/// question answered;</item>
/// <item>gqa (convert_gqa_for_eval.py): [{"questionId", "prediction": text.rstrip('.').lower()}], one per
/// answer line, for GQA's eval.py;</item>
/// <item>mmbench / mmbench-cn (convert_mmbench_for_submission.py): the submission sheet, the TSV's
/// columns without hint, category, source, image, comment and l2-category, "prediction" inserted as the
/// 7th column, an empty cell where a row has no answer (a text starting with "=" is written as text,
/// where openpyxl would have written a formula);</item>
/// <item>mmvet (convert_mmvet_for_eval.py): {"v1_N": text} for MM-Vet's evaluator (indent 2).</item>
/// </list>
/// JSON is written as Python's json.dump writes it (", " / ": ", non-ASCII escaped). Answer lines that are
/// not valid JSON are skipped with a warning (the VQAv2 and VizWiz converters count them as error_line).
/// </summary>
public static class BenchmarkExport
{
    private static readonly string[] MmbenchDropped = ["hint", "category", "source", "image", "comment", "l2-category"];

    public static IReadOnlyList<string> Write(Benchmark benchmark, string answersPath, string? questionsPath, string outPath)
    {
        var warnings = new List<string>();
        var answers = AnswerSet.Read(answersPath, warnings);
        string Need(string? q, string what) => q ?? throw new LVPruneException($"export --benchmark {benchmark.Name} needs --questions {what}");
        switch (benchmark.Id)
        {
            case BenchmarkId.VqaV2:
            {
                var questions = BenchmarkQuestions.ReadJsonl(benchmark, Need(questionsPath, "(the LLaVA question file the upload must cover, e.g. llava_vqav2_mscoco_test2015.jsonl)"), validate: false);
                answers.RequireKnown(questions.Select(q => q.Id).ToHashSet().Contains, questionsPath!);
                var list = new JsonArray(questions.Select(q => (JsonNode?)new JsonObject
                {
                    ["question_id"] = q.Id.Json?.DeepClone(),
                    ["answer"] = answers.Latest.TryGetValue(q.Id, out var a) ? VqaAnswerNormalizer.EvalAi(a.Text) : "",
                }).ToArray());
                WriteText(outPath, PyJson.Dumps(list));
                warnings.Add($"total results: {answers.Latest.Count}, total split: {questions.Count}, error_line: {answers.ErrorLines}");
                break;
            }
            case BenchmarkId.VizWiz:
            {
                var questions = BenchmarkQuestions.ReadJsonl(benchmark, Need(questionsPath, "(LLaVA's VizWiz question file)"), validate: false);
                answers.RequireKnown(questions.Select(q => q.Id).ToHashSet().Contains, questionsPath!);
                var list = new JsonArray(questions.Select(q => (JsonNode?)new JsonObject
                {
                    ["image"] = q.Image,
                    ["answer"] = VqaAnswerNormalizer.EvalAi(answers.Latest.TryGetValue(q.Id, out var a) ? a.Text
                        : throw new LVPruneException($"{answersPath}: no answer for question {q.Id.Display} (convert_vizwiz_for_submission.py asserts every question has one)")),
                }).ToArray());
                WriteText(outPath, PyJson.Dumps(list));
                break;
            }
            case BenchmarkId.Gqa:
            {
                var list = new JsonArray(answers.Lines.Select(l => (JsonNode?)new JsonObject
                {
                    ["questionId"] = l.Id.Json?.DeepClone(), ["prediction"] = PyStr.Lower(PyStr.RStrip(l.Text, ".")),
                }).ToArray());
                WriteText(outPath, PyJson.Dumps(list));
                break;
            }
            case BenchmarkId.Mmbench or BenchmarkId.MmbenchCn:
                WriteMmbenchSheet(answers, Need(questionsPath, "(the MMBench TSV)"), outPath);
                break;
            case BenchmarkId.MmVet:
            {
                var sb = new StringBuilder("{");
                var latest = new List<(string Key, string Text)>();
                foreach (var l in answers.Lines)
                {
                    string key = "v1_" + l.Id.Display;
                    int at = latest.FindIndex(x => x.Key == key);
                    if (at >= 0) latest[at] = (key, l.Text); else latest.Add((key, l.Text)); // a dict: a later line replaces, in place
                }
                for (int i = 0; i < latest.Count; i++)
                {
                    sb.Append(i == 0 ? "\n  " : ",\n  ");
                    PyJson.WriteString(sb, latest[i].Key);
                    sb.Append(": ");
                    PyJson.WriteString(sb, latest[i].Text);
                }
                sb.Append(latest.Count == 0 ? "}" : "\n}");
                WriteText(outPath, sb.ToString());
                break;
            }
            default:
                throw new LVPruneException($"{benchmark.Title} has no submission file: its ground truth is public, score it with `lvprune score --benchmark {benchmark.Name}`"
                                           + (benchmark.Id == BenchmarkId.LlavaBench ? " after the judge (eval_gpt_review_bench.py reads the answer file as it is)" : ""));
        }
        return warnings;
    }

    private static void WriteMmbenchSheet(AnswerSet answers, string tsvPath, string outPath)
    {
        var tsv = PandasTsv.Read(tsvPath);
        var table = MmbenchTable.Read(tsvPath);
        var indexes = table.Rows.Select(r => r.Index).ToHashSet();
        answers.RequireKnown(id => id.IsInteger && long.TryParse(id.Display, out long i) && indexes.Contains(i), tsvPath);
        var kept = tsv.Header.Where(h => !MmbenchDropped.Contains(h)).ToList();
        var header = kept.ToList();
        header.Insert(Math.Min(6, header.Count), "prediction");
        var rows = new List<IReadOnlyList<object?>>();
        for (int r = 0; r < tsv.Rows.Count; r++)
        {
            var values = kept.Select(c => Cell(tsv, r, c)).ToList();
            string? prediction = answers.Latest.TryGetValue(QuestionKey.OfInteger(table.Rows[r].Index), out var a) ? a.Text : null;
            values.Insert(Math.Min(6, values.Count), prediction is { Length: > 0 } ? prediction : null);
            rows.Add(values);
        }
        XlsxSheet.Write(outPath, header, rows);
    }

    // A TSV field as pandas typed it: missing -> empty cell, int / float / bool columns as numbers and bools.
    private static object? Cell(PandasTsv tsv, int row, string column)
    {
        if (tsv.Raw(row, column) is null) return null;
        string text = tsv.Text(row, column);
        if (tsv.IsTextColumn(column)) return text;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
        if (text is "True" or "False") return text == "True";
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static void WriteText(string path, string text)
    {
        try { AtomicFile.WriteAllText(path, text); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new LVPruneException($"{path}: cannot write: {e.Message}"); }
    }
}
