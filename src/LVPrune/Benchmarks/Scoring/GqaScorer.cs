using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// GQA testdev-balanced as LLaVA's gqa.sh scores it:
/// <list type="number">
/// <item>scripts/convert_gqa_for_eval.py: every answer line becomes {"questionId": question_id,
/// "prediction": text.rstrip('.').lower()} (only trailing periods go; spaces, '!', commas and articles
/// stay), and eval.py keys them by questionId (a later line wins);</item>
/// <item>eval/eval.py (the testdev variant LLaVA's docs point to, as committed by SHI-Labs/VCoder at
/// 4e85ace): every balanced question needs a prediction; accuracy = mean(prediction == answer), exact
/// string equality, over the questions whose "isBalanced" is true; binary = the same over
/// types.structural != "query", open = over "query"; validity and plausibility need
/// {tier}_choices.json (looked up beside the questions file) and are 0.00% without it; distribution =
/// the chi-square between gold and predicted answer counts per groups.global, / 100.</item>
/// </list>
/// Prints "Binary: x%", "Open", "Accuracy", "Validity", "Plausibility", "Distribution: x (lower is
/// better)" with {:.2f}, then accuracy per structural type, semantic type, steps and words.
/// </summary>
public static class GqaScorer
{
    public static ScoreReport Score(string answersPath, string questionsPath)
    {
        var warnings = new List<string>();
        using var doc = JsonFiles.Load(questionsPath, "GQA questions file (testdev_balanced_questions.json)");
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new LVPruneException($"{questionsPath}: expected GQA's questions file, an object {{question id: question}}");
        var questions = PyJson.LastWins(doc.RootElement);
        var order = doc.RootElement.EnumerateObject().Select(p => p.Name).Distinct().ToList();

        var answers = AnswerSet.Read(answersPath, warnings);
        answers.RequireKnown(id => id.IsString && questions.ContainsKey(id.Display), questionsPath);
        var predictions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in answers.Lines) predictions[line.Id.Display] = PyStr.Lower(PyStr.RStrip(line.Text, "."));

        var choices = LoadChoices(questionsPath);
        var accuracy = new List<double>();
        var binary = new List<double>();
        var open = new List<double>();
        var validity = new List<double>();
        var plausibility = new List<double>();
        var structural = new OrderedGroups();
        var semantic = new OrderedGroups();
        var steps = new SortedDictionary<int, List<double>>();
        var words = new SortedDictionary<int, List<double>>();
        var gold = new OrderedCounts();
        var predicted = new OrderedCounts();
        foreach (string qid in order)
        {
            var q = questions[qid];
            string where = $"{questionsPath} question {qid}";
            if (!Truthy(JsonFiles.Require(q, "isBalanced", where))) continue;
            if (!predictions.TryGetValue(qid, out string? prediction))
                throw new LVPruneException($"{answersPath}: no prediction for question {qid} (eval.py needs one for every balanced question)");
            var goldAnswer = JsonFiles.Require(q, "answer", where);
            bool correct = goldAnswer.ValueKind == JsonValueKind.String && goldAnswer.GetString() == prediction;
            double score = correct ? 1.0 : 0.0;
            var types = JsonFiles.Require(q, "types", where);
            string structuralType = PyText(JsonFiles.Require(types, "structural", where + " types"));
            accuracy.Add(score);
            Add(words, PyStr.Split(JsonFiles.RequireString(q, "question", where)).Count, score);
            Add(steps, StepsNum(q, where), score);
            structural.Add(structuralType, score);
            semantic.Add(PyText(JsonFiles.Require(types, "semantic", where + " types")), score);
            (structuralType == "query" ? open : binary).Add(score);
            validity.Add(choices is not null && Belongs(prediction, choices, qid, "valid", types, where) ? 1.0 : 0.0);
            plausibility.Add(choices is not null && Belongs(prediction, choices, qid, "plausible", types, where) ? 1.0 : 0.0);
            if (JsonFiles.Get(JsonFiles.Require(q, "groups", where), "global") is { } g && g.ValueKind != JsonValueKind.Null)
            {
                string group = PyText(g);
                gold.Add(group, goldAnswer.ValueKind == JsonValueKind.String ? goldAnswer.GetString()! : goldAnswer.GetRawText());
                predicted.Add(group, prediction);
            }
        }
        if (accuracy.Count == 0) throw new LVPruneException($"{questionsPath}: no balanced questions to score");

        double? distribution = ChiSquare(gold, predicted) is { } chi ? chi / 100 : null;
        var text = new List<string>
        {
            $"Binary: {Pct(binary)}%", $"Open: {Pct(open)}%", $"Accuracy: {Pct(accuracy)}%",
            $"Validity: {Pct(validity)}%", $"Plausibility: {Pct(plausibility)}%",
            distribution is { } d ? $"Distribution: {PyFloat.Fixed(d, 2)} (lower is better)" : "Distribution: (no global groups: eval.py divides by zero)",
        };
        AppendDetailed(text, "Accuracy / structural type", structural.Names.Order(StringComparer.Ordinal).Select(n => (n, structural[n])));
        AppendDetailed(text, "Accuracy / semantic type", semantic.Names.Order(StringComparer.Ordinal).Select(n => (n, semantic[n])));
        AppendDetailed(text, "Accuracy / steps number", steps.Select(kv => (kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), (IReadOnlyList<double>)kv.Value)));
        AppendDetailed(text, "Accuracy / words number", words.Select(kv => (kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), (IReadOnlyList<double>)kv.Value)));
        if (choices is null) warnings.Add($"no {ChoicesPath(questionsPath)}: validity and plausibility are 0, as eval.py prints them without a choices file");
        return new ScoreReport
        {
            Benchmark = "gqa", Count = accuracy.Count, Accuracy = Avg(accuracy), Text = text, Warnings = warnings,
            Extra = new JsonObject
            {
                ["binary"] = Avg(binary), ["open"] = Avg(open),
                ["validity"] = Avg(validity), ["plausibility"] = Avg(plausibility),
                ["distribution"] = distribution,
                ["structural"] = structural.ToJson(), ["semantic"] = semantic.ToJson(),
            },
        };
    }

    // avg(l): 0 for an empty list, else float(sum(l)) / len(l).
    private static double Avg(IReadOnlyList<double> l) => l.Count == 0 ? 0 : PyFloat.Mean(l);

    // "{score:.2f}" of avg(l) * 100.
    private static string Pct(IReadOnlyList<double> l) => PyFloat.Fixed(Avg(l) * 100, 2);

    private static void AppendDetailed(List<string> text, string title, IEnumerable<(string Name, IReadOnlyList<double> Scores)> groups)
    {
        text.Add("");
        text.Add(title + ":");
        foreach (var (name, scores) in groups) text.Add($"  {name}: {Pct(scores)}% ({scores.Count} questions)");
    }

    private static void Add(SortedDictionary<int, List<double>> d, int key, double v)
    {
        if (!d.TryGetValue(key, out var l)) d[key] = l = [];
        l.Add(v);
    }

    // getStepsNum: semantic operations except those whose "op: arg" contains exist, "query: name" or "choose name".
    private static int StepsNum(JsonElement q, string where)
    {
        var semantic = JsonFiles.Require(q, "semantic", where);
        if (semantic.ValueKind != JsonValueKind.Array) throw new LVPruneException($"{where}: \"semantic\" must be a list");
        return semantic.EnumerateArray().Count(c =>
        {
            string s = $"{PyText(JsonFiles.Require(c, "operation", where + " semantic"))}: {PyText(JsonFiles.Require(c, "argument", where + " semantic"))}";
            return !(s.Contains("exist", StringComparison.Ordinal) || s.Contains("query: name", StringComparison.Ordinal) || s.Contains("choose name", StringComparison.Ordinal));
        });
    }

    // belongs(): "Common" in types.detailed switches the group to ["color", "material", "shape"].
    private static bool Belongs(string prediction, Dictionary<string, JsonElement> choices, string qid, string kind, JsonElement types, string where)
    {
        if (JsonFiles.Get(types, "detailed") is { ValueKind: JsonValueKind.String } d && d.GetString()!.Contains("Common", StringComparison.Ordinal))
            return prediction is "color" or "material" or "shape";
        if (!choices.TryGetValue(qid, out var c)) throw new LVPruneException($"{where}: no entry in the choices file");
        var group = JsonFiles.Require(c, kind, $"choices {qid}");
        return group.ValueKind == JsonValueKind.Array && group.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.String && e.GetString() == prediction);
    }

    private static string ChoicesPath(string questionsPath)
    {
        string name = Path.GetFileName(questionsPath);
        string choices = name.EndsWith("_questions.json", StringComparison.Ordinal) ? name[..^"_questions.json".Length] + "_choices.json" : "testdev_balanced_choices.json";
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(questionsPath))!, choices);
    }

    private static Dictionary<string, JsonElement>? LoadChoices(string questionsPath)
    {
        string path = ChoicesPath(questionsPath);
        if (!File.Exists(path)) return null;
        using var doc = JsonFiles.Load(path, "GQA choices file");
        return PyJson.LastWins(doc.RootElement.Clone());
    }

    // chiSquare(gold, predicted): groups and answers in first-seen order, as the script's dicts.
    private static double? ChiSquare(OrderedCounts gold, OrderedCounts predicted)
    {
        double sumScore = 0, sumOverall = 0;
        foreach (string group in gold.Groups)
        {
            double score = 0, overall = 0;
            foreach (var (answer, e) in gold.Counts(group))
            {
                int o = predicted.Get(group, answer);
                score += Math.Pow(o - e, 2) / e;
                overall += e;
            }
            sumScore += score * overall;
            sumOverall += overall;
        }
        return sumOverall == 0 ? null : sumScore / sumOverall;
    }

    // Python truthiness of a JSON value.
    private static bool Truthy(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.Number => PyJson.NumberKey.Parse(e.GetRawText()).ToString() is not ("0" or "0.0" or "-0.0"),
        JsonValueKind.String => e.GetString()!.Length > 0,
        JsonValueKind.Array => e.GetArrayLength() > 0,
        JsonValueKind.Object => e.EnumerateObject().Any(),
        _ => false,
    };

    // "{}".format(value) for the scalars GQA's files hold.
    private static string PyText(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Null => "None",
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        _ => e.GetRawText(),
    };

    /// <summary>Counts per (group, answer), both in first-seen order.</summary>
    private sealed class OrderedCounts
    {
        private readonly Dictionary<string, Dictionary<string, int>> _counts = new(StringComparer.Ordinal);
        private readonly List<string> _groups = [];
        private readonly Dictionary<string, List<string>> _answers = new(StringComparer.Ordinal);

        public IReadOnlyList<string> Groups => _groups;

        public void Add(string group, string answer)
        {
            if (!_counts.TryGetValue(group, out var c))
            {
                _counts[group] = c = new Dictionary<string, int>(StringComparer.Ordinal);
                _answers[group] = [];
                _groups.Add(group);
            }
            if (!c.ContainsKey(answer)) _answers[group].Add(answer);
            c[answer] = c.GetValueOrDefault(answer) + 1;
        }

        public int Get(string group, string answer) => _counts.TryGetValue(group, out var c) ? c.GetValueOrDefault(answer) : 0;

        public IEnumerable<(string Answer, int Count)> Counts(string group) => _answers[group].Select(a => (a, _counts[group][a]));
    }
}
