using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Evaluation;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// POPE as llava/eval/eval_pope.py scores it, per split (each coco_pope_{split}.json of the annotation
/// folder; the headline is the mean of the splits' F1, which is LLaVA's reported POPE number).
/// <list type="bullet">
/// <item>Reading an answer: keep the text before the first '.', delete ',', split on single spaces; "no"
/// if a word is exactly "No", "not" or "no", else "yes" (so "NO", "Nope", "None", "I don't think so",
/// "There isn't." and "" read as yes; "Not sure" and "Yes, but no cat." as no).</item>
/// <item>A label is 0 if it is exactly "no", else 1. yes is the positive class.</item>
/// <item>Joining (our one deliberate difference, see BENCHMARKS.md): the script zips a split's answers,
/// in answer-file order, with the label file's lines by position; we join each answer to its question by
/// question_id (a later duplicate wins) and the k-th question of a split in the question file to the
/// label file's k-th line. On an answer file in question order the numbers are the script's.</item>
/// <item>Metrics as printed: TP FP TN FN, accuracy, precision, recall, F1, yes ratio (share of answers
/// read as yes); where the script divides by zero the metric is reported as 0 with a warning.</item>
/// </list>
/// </summary>
public static class PopeScorer
{
    public static readonly string[] Splits = ["adversarial", "popular", "random"];

    /// <summary>The metrics of one split, fractions.</summary>
    public sealed record SplitMetrics(int TP, int FP, int TN, int FN, double Accuracy, double Precision, double Recall, double F1, double YesRatio)
    {
        public JsonObject ToJson() => new()
        {
            ["accuracy"] = Accuracy, ["precision"] = Precision, ["recall"] = Recall, ["f1"] = F1, ["yes_ratio"] = YesRatio,
            ["tp"] = TP, ["fp"] = FP, ["tn"] = TN, ["fn"] = FN,
        };
    }

    public static ScoreReport Score(string answersPath, string annotationDir, string questionsPath)
    {
        var warnings = new List<string>();
        if (!Directory.Exists(annotationDir)) throw new LVPruneException($"{annotationDir}: POPE annotation folder (coco_pope_*.json) not found");
        var labelFiles = Directory.GetFiles(annotationDir, "coco_pope_*.json").Order(StringComparer.Ordinal).ToList();
        if (labelFiles.Count == 0) throw new LVPruneException($"{annotationDir}: no coco_pope_{{adversarial,popular,random}}.json files");

        var questions = BenchmarkQuestions.ReadJsonl(Benchmark.Get(BenchmarkId.Pope), questionsPath, validate: false);
        var answers = AnswerSet.Read(answersPath, warnings);
        var ids = questions.Select(q => q.Id).ToHashSet();
        answers.RequireKnown(ids.Contains, questionsPath);

        var splits = new JsonObject();
        var text = new List<string>();
        var f1s = new List<double>();
        int count = 0;
        foreach (string file in labelFiles)
        {
            string name = Path.GetFileName(file);
            string category = name["coco_pope_".Length..^".json".Length];
            var labels = ReadLabels(file);
            var splitQuestions = questions.Where(q => q.Category == category).ToList();
            if (splitQuestions.Count != labels.Count)
                throw new LVPruneException($"{file}: {labels.Count} labels, but {questionsPath} has {splitQuestions.Count} questions of category {category}");
            var pairs = new List<(bool PredictedYes, bool LabelYes)>();
            for (int k = 0; k < splitQuestions.Count; k++)
                if (answers.Latest.TryGetValue(splitQuestions[k].Id, out var a)) pairs.Add((IsYes(a.Text), labels[k]));
            if (pairs.Count < splitQuestions.Count)
                warnings.Add($"{answersPath}: {splitQuestions.Count - pairs.Count} of the {splitQuestions.Count} {category} questions have no answer and are left out");
            if (pairs.Count == 0) { warnings.Add($"{answersPath}: no answers for the {category} split; it is skipped"); continue; }
            var m = Metrics(pairs, category, warnings);
            splits[category] = m.ToJson();
            f1s.Add(m.F1);
            count += pairs.Count;
            text.Add($"Category: {category}, # samples: {pairs.Count}");
            text.Add("TP\tFP\tTN\tFN\t");
            text.Add($"{m.TP}\t{m.FP}\t{m.TN}\t{m.FN}");
            text.Add($"Accuracy: {PyFloat.Repr(m.Accuracy)}");
            text.Add($"Precision: {PyFloat.Repr(m.Precision)}");
            text.Add($"Recall: {PyFloat.Repr(m.Recall)}");
            text.Add($"F1 score: {PyFloat.Repr(m.F1)}");
            text.Add($"Yes ratio: {PyFloat.Repr(m.YesRatio)}");
            text.Add($"{PyFloat.Fixed(m.F1, 3)}, {PyFloat.Fixed(m.Accuracy, 3)}, {PyFloat.Fixed(m.Precision, 3)}, {PyFloat.Fixed(m.Recall, 3)}, {PyFloat.Fixed(m.YesRatio, 3)}");
            text.Add("====================================");
        }
        if (f1s.Count == 0) throw new LVPruneException($"{answersPath}: no answers to the POPE questions of {questionsPath}");
        double mean = PyFloat.Mean(f1s);
        text.Add($"Mean F1 over {f1s.Count} splits: {PyFloat.Fixed(100 * mean, 1)}");
        return new ScoreReport
        {
            Benchmark = "pope", Count = count, Accuracy = mean, Text = text, Warnings = warnings,
            Extra = new JsonObject { ["splits"] = splits },
        };
    }

    /// <summary>eval_pope.py's reading of an answer: true for yes (<see cref="PopeAnswer.IsYes"/>, the one copy of the rule).</summary>
    public static bool IsYes(string text) => PopeAnswer.IsYes(text);

    /// <summary>The split's metrics as eval_pope.py computes them (a 0/0 reported as 0 with a warning).</summary>
    public static SplitMetrics Metrics(IReadOnlyList<(bool PredictedYes, bool LabelYes)> pairs, string split, ICollection<string> warnings)
    {
        int tp = 0, fp = 0, tn = 0, fn = 0, yes = 0;
        foreach (var (p, l) in pairs)
        {
            if (p) yes++;
            if (p && l) tp++;
            else if (p) fp++;
            else if (!l) tn++;
            else fn++;
        }
        double precision = Ratio(tp, tp + fp, "precision", split, warnings);
        double recall = Ratio(tp, tp + fn, "recall", split, warnings);
        double f1 = precision + recall == 0 ? Zero("F1", split, warnings) : 2 * precision * recall / (precision + recall);
        return new SplitMetrics(tp, fp, tn, fn, (double)(tp + tn) / (tp + tn + fp + fn), precision, recall, f1, (double)yes / pairs.Count);
    }

    private static double Ratio(int num, int den, string what, string split, ICollection<string> warnings) =>
        den == 0 ? Zero(what, split, warnings) : (double)num / den;

    private static double Zero(string what, string split, ICollection<string> warnings)
    {
        warnings.Add($"POPE {split}: {what} is 0/0 (eval_pope.py raises ZeroDivisionError); reported as 0");
        return 0;
    }

    // label_list = [json.loads(q)['label'] for q in open(label_file)]; 'no' -> 0, anything else -> 1.
    private static List<bool> ReadLabels(string path)
    {
        var labels = new List<bool>();
        var lines = JsonFiles.Lines(path, "POPE label file");
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]) && i == lines.Count - 1) continue;
            var json = JsonFiles.TryParseLine(lines[i]) ?? throw new LVPruneException($"{path} line {i + 1}: not valid JSON");
            var label = JsonFiles.Require(json, "label", $"{path} line {i + 1}");
            labels.Add(!(label.ValueKind == JsonValueKind.String && label.GetString() == "no"));
        }
        return labels;
    }
}
