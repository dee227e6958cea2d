using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Evaluation;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// VizWiz (val, scored locally):
/// <list type="number">
/// <item>scripts/convert_vizwiz_for_submission.py: answers by question id (invalid lines skipped, a later
/// duplicate wins); every question of the LLaVA question file must have one (the script asserts);
/// upload entry {"image": the question's image, "answer": EvalAIAnswerProcessor(text)};</item>
/// <item>the VizWiz API evaluation (TRI-ML vlm-evaluation d9f5896 vizwiz/eval.py): over the images of
/// Annotations/val.json in file order, the prediction gets '\n\t' / strip / punctuation / digits and
/// articles / its backtick contraction table; the ten ground-truth answers are used RAW, never
/// normalised, so "Yes", "black/white" or "don't" in the ground truth can only match an answer
/// that normalisation leaves unchanged; leave-one-out by position;</item>
/// <item>unanswerability: sklearn average_precision_score and f1_score of "the normalised prediction is
/// 'unanswerable'" against 1 - answerable.</item>
/// </list>
/// </summary>
public static class VizWizScorer
{
    public static ScoreReport Score(string answersPath, string annotationsPath, string questionsPath)
    {
        var warnings = new List<string>();
        var questions = BenchmarkQuestions.ReadJsonl(Benchmark.Get(BenchmarkId.VizWiz), questionsPath, validate: false);
        var answers = AnswerSet.Read(answersPath, warnings);
        var ids = questions.Select(q => q.Id).ToHashSet();
        answers.RequireKnown(ids.Contains, questionsPath);

        // convert_vizwiz_for_submission.py (upload entries keyed by image; a later one replaces an earlier one).
        var upload = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var q in questions)
        {
            if (!answers.Latest.TryGetValue(q.Id, out var a))
                throw new LVPruneException($"{answersPath}: no answer for question {q.Id.Display} of {questionsPath} (convert_vizwiz_for_submission.py asserts every question has one)");
            upload[q.Image!] = VqaAnswerNormalizer.EvalAi(a.Text);
        }

        using var doc = JsonFiles.Load(annotationsPath, "VizWiz annotation file (Annotations/val.json)");
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
            throw new LVPruneException($"{annotationsPath}: expected VizWiz's annotation list [{{\"image\", \"answers\", \"answerable\"}}, ...]");
        var gts = new Dictionary<string, (List<string> Answers, int Answerable)>(StringComparer.Ordinal);
        var order = new List<string>();
        int index = 0;
        foreach (var entry in doc.RootElement.EnumerateArray())
        {
            string where = $"{annotationsPath} [{index++}]";
            string image = JsonFiles.RequireString(entry, "image", where);
            var list = JsonFiles.Require(entry, "answers", where);
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0) throw new LVPruneException($"{where}: \"answers\" must be a non-empty list");
            var raw = list.EnumerateArray().Select((a, k) => JsonFiles.RequireString(a, "answer", $"{where} answers[{k}]")).ToList();
            var answerable = JsonFiles.Require(entry, "answerable", where);
            if (answerable.ValueKind != JsonValueKind.Number || !answerable.TryGetInt32(out int able)) throw new LVPruneException($"{where}: \"answerable\" must be 0 or 1");
            if (!gts.ContainsKey(image)) order.Add(image);
            gts[image] = (raw, able);
        }

        var norm = VqaAnswerNormalizer.VizWiz;
        var accuracy = new List<double>();
        var answerableAcc = new List<double>();
        var unanswerableAcc = new List<double>();
        var truth = new List<int>();
        var predictedUnanswerable = new List<int>();
        foreach (string image in order)
        {
            if (!upload.TryGetValue(image, out string? answer))
                throw new LVPruneException($"{annotationsPath}: image {image} has no answer (the question file {questionsPath} does not ask about it); the VizWiz evaluation needs one for every annotation");
            string prediction = norm.Prediction(answer);
            var (raw, able) = gts[image];
            double acc = VqaAccuracy.LeaveOneOut(raw, prediction);
            accuracy.Add(acc);
            (able == 1 ? answerableAcc : unanswerableAcc).Add(acc);
            truth.Add(1 - able);
            predictedUnanswerable.Add(prediction != "unanswerable" ? 0 : 1);
        }
        if (accuracy.Count == 0) throw new LVPruneException($"{annotationsPath}: no annotations to score");

        double ap = AveragePrecision(truth, predictedUnanswerable);
        double f1 = F1(truth, predictedUnanswerable);
        var text = new List<string>
        {
            $"total results: {answers.Latest.Count}, total split: {questions.Count}, error_line: {answers.ErrorLines}",
            $"VizWiz Overall      Accuracy (Official): {Percent(accuracy)}",
            $"VizWiz Answerable   Accuracy (Official): {(answerableAcc.Count > 0 ? Percent(answerableAcc) : "n/a")}",
            $"VizWiz Unanswerable Accuracy (Official): {(unanswerableAcc.Count > 0 ? Percent(unanswerableAcc) : "n/a")}",
            $"Unanswerable Avg Precision   (Official): {PyFloat.Fixed(PyFloat.Round(100 * ap, 2), 2)}",
            $"Unanswerable F1 Score        (Official): {PyFloat.Fixed(PyFloat.Round(100 * f1, 2), 2)}",
        };
        return new ScoreReport
        {
            Benchmark = "vizwiz", Count = accuracy.Count, Accuracy = PyFloat.Mean(accuracy), Text = text, Warnings = warnings,
            Extra = new JsonObject
            {
                ["unanswerable"] = new JsonObject { ["average_precision"] = ap, ["f1"] = f1 },
                ["answerable_accuracy"] = answerableAcc.Count > 0 ? PyFloat.Mean(answerableAcc) : null,
                ["unanswerable_accuracy"] = unanswerableAcc.Count > 0 ? PyFloat.Mean(unanswerableAcc) : null,
            },
        };
    }

    // round(100 * float(sum(accQA)) / len(accQA), 2) as the harness prints it.
    private static string Percent(IReadOnlyList<double> values) => PyFloat.Fixed(PyFloat.Round(100 * PyFloat.Sum(values) / values.Count, 2), 2);

    /// <summary>
    /// sklearn.metrics.average_precision_score(y_true, y_score) for 0/1 scores: thresholds at the
    /// distinct scores, descending; AP = -sum(diff(recall) * precision[:-1]) over the reversed curve with
    /// (recall 0, precision 1) appended. With no positive label sklearn sets recall to 1 (AP 0).
    /// </summary>
    public static double AveragePrecision(IReadOnlyList<int> truth, IReadOnlyList<int> score)
    {
        int positives = truth.Sum();
        var thresholds = score.Distinct().OrderDescending().ToList();
        var precision = new List<double>();
        var recall = new List<double>();
        foreach (int t in thresholds)
        {
            int tp = 0, fp = 0;
            for (int i = 0; i < truth.Count; i++)
            {
                if (score[i] < t) continue;
                if (truth[i] == 1) tp++; else fp++;
            }
            precision.Add(tp + fp == 0 ? 0 : (double)tp / (tp + fp));
            recall.Add(positives == 0 ? 1 : (double)tp / positives);
        }
        // Reverse, append precision 1 and recall 0, then -sum(diff(recall) * precision[:-1]).
        precision.Reverse();
        recall.Reverse();
        precision.Add(1);
        recall.Add(0);
        double sum = 0;
        for (int k = 0; k + 1 < recall.Count; k++) sum += (recall[k + 1] - recall[k]) * precision[k];
        return -sum;
    }

    /// <summary>sklearn f1_score for binary labels: 2TP / (2TP + FP + FN), 0 when that is 0/0 (zero_division "warn").</summary>
    public static double F1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            if (predicted[i] == 1 && truth[i] == 1) tp++;
            else if (predicted[i] == 1) fp++;
            else if (truth[i] == 1) fn++;
        }
        return 2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
    }
}
