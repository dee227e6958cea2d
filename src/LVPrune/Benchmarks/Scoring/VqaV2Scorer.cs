using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Evaluation;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// VQAv2 (val, scored locally) as LLaVA's converter and the official evaluation score it:
/// <list type="number">
/// <item>scripts/convert_vqav2_for_submission.py: answers by question id (invalid lines skipped, a later
/// duplicate wins), then for every question of the question list {"question_id", "answer":
/// EvalAIAnswerProcessor(text)}, "" where no answer exists;</item>
/// <item>VQA.loadRes: the result ids must be exactly the annotation ids;</item>
/// <item>vqaEval.py v2.0 (a4f1afd; py3 port 0dc4ab7) evaluate(): over the annotation question ids in file
/// order, the prediction gets '\n\t' / strip / punctuation / digits and articles; the ground-truth
/// answers get ONLY processPunctuation and only when the raw answers are not all identical
/// (so "Yes" never matches a unanimous "yes", and "none" -> "0" never matches GT "none"); the
/// processing rewrites the annotation in place, so a question id listed twice is processed twice;
/// each answer is left out in turn, and the answers that stay are those whose dict differs from it
/// (<c>item != gtAnsDatum</c>), so equal dicts leave together.</item>
/// </list>
/// Prints "Overall Accuracy is: %.02f" of round(100 * mean, 2), per question type and per answer type.
/// </summary>
public static class VqaV2Scorer
{
    public static ScoreReport Score(string answersPath, string annotationsPath, string? questionsPath)
    {
        var warnings = new List<string>();
        using var annotationsDoc = JsonFiles.Load(annotationsPath, "VQAv2 annotation file");
        var annotations = ReadAnnotations(annotationsDoc.RootElement, annotationsPath);

        // The question list the converter walks: the question file's ids, else the annotations'.
        var questionIds = questionsPath is null
            ? annotations.Order.Distinct().ToList()
            : ReadQuestionIds(questionsPath);
        var questionSet = questionIds.ToHashSet();
        var answers = AnswerSet.Read(answersPath, warnings);
        answers.RequireKnown(questionSet.Contains, questionsPath ?? annotationsPath);

        // convert_vqav2_for_submission.py, then loadRes (a later result for an id replaces an earlier one).
        var results = new Dictionary<QuestionKey, string>();
        foreach (var q in questionIds)
            results[q] = answers.Latest.TryGetValue(q, out var a) ? VqaAnswerNormalizer.EvalAi(a.Text) : "";
        if (questionsPath is not null)
        {
            var missing = annotations.ById.Keys.FirstOrDefault(k => !questionSet.Contains(k));
            var extra = questionSet.FirstOrDefault(k => !annotations.ById.ContainsKey(k));
            if (missing is not null || extra is not null)
                throw new LVPruneException($"{questionsPath}: its questions do not match the annotations of {annotationsPath} (VQA.loadRes asserts they are the same set): "
                                           + (missing is not null ? $"question {missing.Display} has no question entry" : $"question {extra!.Display} has no annotation"));
        }

        var v2 = VqaAnswerNormalizer.VqaEval;
        var all = new List<double>();
        var byQuestionType = new OrderedGroups();
        var byAnswerType = new OrderedGroups();
        foreach (var id in annotations.Order)
        {
            var ann = annotations.ById[id];
            string prediction = v2.Prediction(results[id]);
            if (ann.Answers.Select(a => a.Answer).Distinct(StringComparer.Ordinal).Count() > 1)
                foreach (var a in ann.Answers) a.Answer = v2.ProcessPunctuation(a.Answer);
            var gts = ann.Answers;
            double acc = VqaAccuracy.LeaveOneOut(gts.Count,
                (i, j) => !(gts[i].Answer == gts[j].Answer && gts[i].Rest == gts[j].Rest),
                j => gts[j].Answer == prediction);
            all.Add(acc);
            byQuestionType.Add(ann.QuestionType, acc);
            byAnswerType.Add(ann.AnswerType, acc);
        }
        if (all.Count == 0) throw new LVPruneException($"{annotationsPath}: no annotations to score");

        double overall = PyFloat.Mean(all);
        var text = new List<string>
        {
            $"total results: {answers.Latest.Count}, total split: {questionIds.Count}, error_line: {answers.ErrorLines}",
            $"Overall Accuracy is: {Percent(all)}",
            "Per Question Type Accuracy is the following:",
        };
        text.AddRange(byQuestionType.Names.Select(t => $"{t} : {Percent(byQuestionType[t])}"));
        text.Add("Per Answer Type Accuracy is the following:");
        text.AddRange(byAnswerType.Names.Select(t => $"{t} : {Percent(byAnswerType[t])}"));
        return new ScoreReport
        {
            Benchmark = "vqav2", Count = all.Count, Accuracy = overall, Text = text, Warnings = warnings,
            Extra = new JsonObject
            {
                ["answer_types"] = byAnswerType.ToJson(),
                ["question_types"] = byQuestionType.ToJson(),
                ["answered"] = annotations.Order.Distinct().Count(answers.Latest.ContainsKey),
                ["error_lines"] = answers.ErrorLines,
            },
        };
    }

    // round(100 * float(sum(acc)) / len(acc), 2), printed with %.02f.
    private static string Percent(IReadOnlyList<double> values) => PyFloat.Fixed(PyFloat.Round(100 * PyFloat.Sum(values) / values.Count, 2), 2);

    private static List<QuestionKey> ReadQuestionIds(string path)
    {
        string first = JsonFiles.Lines(path, "VQAv2 question file").FirstOrDefault(l => !string.IsNullOrWhiteSpace(l)) ?? "";
        if (JsonFiles.TryParseLine(first) is { ValueKind: JsonValueKind.Object } firstLine && JsonFiles.Get(firstLine, "question_id") is not null)
            return JsonlQuestionIds(path); // LLaVA's jsonl
        using var doc = JsonFiles.Load(path, "VQAv2 question file");
        if (JsonFiles.Get(doc.RootElement, "questions") is not { ValueKind: JsonValueKind.Array } questions)
            throw new LVPruneException($"{path}: expected v2_OpenEnded questions ({{\"questions\": [...]}}) or LLaVA's question jsonl");
        int index = 0;
        return questions.EnumerateArray().Select(q => QuestionKey.From(JsonFiles.Require(q, "question_id", $"{path} questions[{index++}]"))
                                                      ?? throw new LVPruneException($"{path} questions[{index - 1}]: bad question_id")).ToList();
    }

    private static List<QuestionKey> JsonlQuestionIds(string path)
    {
        var ids = new List<QuestionKey>();
        var lines = JsonFiles.Lines(path, "question file");
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var json = JsonFiles.TryParseLine(lines[i]) ?? throw new LVPruneException($"{path} line {i + 1}: not valid JSON");
            ids.Add(QuestionKey.From(JsonFiles.Require(json, "question_id", $"{path} line {i + 1}"))
                    ?? throw new LVPruneException($"{path} line {i + 1}: bad question_id"));
        }
        return ids;
    }

    private sealed class GtAnswer(string answer, string rest)
    {
        public string Answer { get; set; } = answer;
        /// <summary>The dict's other fields, canonical, so Python dict equality is string equality.</summary>
        public string Rest { get; } = rest;
    }

    private sealed record Annotation(string QuestionType, string AnswerType, List<GtAnswer> Answers);

    private sealed record Annotations(List<QuestionKey> Order, Dictionary<QuestionKey, Annotation> ById);

    private static Annotations ReadAnnotations(JsonElement root, string path)
    {
        if (JsonFiles.Get(root, "annotations") is not { ValueKind: JsonValueKind.Array } list)
            throw new LVPruneException($"{path}: \"annotations\" is missing (expected v2_mscoco_val2014_annotations.json)");
        var order = new List<QuestionKey>();
        var byId = new Dictionary<QuestionKey, Annotation>();
        int index = 0;
        foreach (var ann in list.EnumerateArray())
        {
            string where = $"{path} annotations[{index++}]";
            var id = QuestionKey.From(JsonFiles.Require(ann, "question_id", where)) ?? throw new LVPruneException($"{where}: bad question_id");
            var answers = JsonFiles.Require(ann, "answers", where);
            if (answers.ValueKind != JsonValueKind.Array || answers.GetArrayLength() == 0)
                throw new LVPruneException($"{where}: \"answers\" must be a non-empty list");
            var gts = answers.EnumerateArray().Select((a, k) => new GtAnswer(JsonFiles.RequireString(a, "answer", $"{where} answers[{k}]"), Canonical(a, skip: "answer"))).ToList();
            order.Add(id);
            byId[id] = new Annotation(Display(JsonFiles.Require(ann, "question_type", where)), Display(JsonFiles.Require(ann, "answer_type", where)), gts);
        }
        return new Annotations(order, byId);
    }

    private static string Display(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();

    // A text equal for Python-equal dicts (keys sorted; numbers by value; the last of a repeated key).
    internal static string Canonical(JsonElement e, string? skip = null)
    {
        var sb = new StringBuilder();
        Append(sb, e, skip);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, JsonElement e, string? skip)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                sb.Append('{');
                foreach (var (k, v) in PyJson.LastWins(e).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (k == skip) continue;
                    PyJson.WriteString(sb, k);
                    sb.Append(':');
                    Append(sb, v, null);
                    sb.Append(',');
                }
                sb.Append('}');
                break;
            case JsonValueKind.Array:
                sb.Append('[');
                foreach (var v in e.EnumerateArray()) { Append(sb, v, null); sb.Append(','); }
                sb.Append(']');
                break;
            case JsonValueKind.String: PyJson.WriteString(sb, e.GetString()!); break;
            case JsonValueKind.Number: sb.Append('#').Append(PyJson.NumberKey.Parse(e.GetRawText()).ToString()); break;
            case JsonValueKind.True: sb.Append("#1"); break;
            case JsonValueKind.False: sb.Append("#0"); break;
            default: sb.Append("null"); break;
        }
    }
}

/// <summary>Scores grouped by a name, names in first-seen order (a Python dict of lists).</summary>
internal sealed class OrderedGroups
{
    private readonly Dictionary<string, List<double>> _groups = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    public IReadOnlyList<string> Names => _names;

    public void Add(string name, double value)
    {
        if (!_groups.TryGetValue(name, out var list))
        {
            _groups[name] = list = [];
            _names.Add(name);
        }
        list.Add(value);
    }

    public IReadOnlyList<double> this[string name] => _groups[name];

    public double Mean(string name) => PyFloat.Mean(_groups[name]);

    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (string n in _names) o[n] = Mean(n);
        return o;
    }
}
