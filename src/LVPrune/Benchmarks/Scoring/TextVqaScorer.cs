using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LVPrune.Evaluation;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// TextVQA val as llava/eval/eval_textvqa.py scores it: the annotations (TextVQA_0.5.1_val.json "data")
/// are keyed by (image_id, question.lower()), a repeated key keeping the last; each answer line is
/// looked up by (question_id, prompt_processor(prompt)) - in LLaVA's question file the question_id IS
/// the image id - and EVERY line is scored, so a duplicated line counts twice (the script reads the
/// result list as it is; this is the one scorer that does not let a later duplicate replace an earlier
/// one). TextVQAAccuracyEvaluator: the m4c normaliser (EvalAIAnswerProcessor) on the prediction and on
/// the ten answers (exactly ten, it asserts), then VQA accuracy. Prints "Samples: N" and "Accuracy: %.2f%".
/// </summary>
public static class TextVqaScorer
{
    private static readonly Regex OcrTokensQuestion = new("Question: (.*?) Short answer:", RegexOptions.Singleline | RegexOptions.CultureInvariant);

    public static ScoreReport Score(string answersPath, string annotationsPath)
    {
        var warnings = new List<string>();
        using var doc = JsonFiles.Load(annotationsPath, "TextVQA annotation file (TextVQA_0.5.1_val.json)");
        if (JsonFiles.Get(doc.RootElement, "data") is not { ValueKind: JsonValueKind.Array } data)
            throw new LVPruneException($"{annotationsPath}: \"data\" is missing (expected TextVQA_0.5.1_val.json)");
        var annotations = new Dictionary<(QuestionKey, string), List<string>>();
        int index = 0;
        foreach (var a in data.EnumerateArray())
        {
            string where = $"{annotationsPath} data[{index++}]";
            var imageId = QuestionKey.From(JsonFiles.Require(a, "image_id", where)) ?? throw new LVPruneException($"{where}: bad image_id");
            var list = JsonFiles.Require(a, "answers", where);
            if (list.ValueKind != JsonValueKind.Array) throw new LVPruneException($"{where}: \"answers\" must be a list");
            annotations[(imageId, PyStr.Lower(JsonFiles.RequireString(a, "question", where)))] =
                list.EnumerateArray().Select((x, k) => x.ValueKind == JsonValueKind.String ? x.GetString()! : throw new LVPruneException($"{where} answers[{k}]: not a string")).ToList();
        }

        var answers = AnswerSet.Read(answersPath, warnings);
        var scores = new List<double>();
        var cache = new Dictionary<List<string>, List<string>>(ReferenceEqualityComparer.Instance);
        foreach (var line in answers.Lines)
        {
            string where = $"{answersPath} line {line.Line}";
            string prompt = line.Prompt ?? throw new LVPruneException($"{where}: \"prompt\" is missing (eval_textvqa.py finds the question in it)");
            string question = PromptQuestion(prompt) ?? throw new LVPruneException($"{where}: the prompt is not a TextVQA prompt (question, \"Reference OCR token: ...\" and the answer instruction on 3 lines, or 2 lines)");
            if (!annotations.TryGetValue((line.Id, question), out var raw))
                throw new LVPruneException($"{where}: no annotation for image {line.Id.Display} with question \"{question}\" in {annotationsPath} (an answer file for other questions?)");
            if (!cache.TryGetValue(raw, out var gts))
            {
                gts = raw.Select(VqaAnswerNormalizer.EvalAi).ToList();
                if (gts.Count != 10) throw new LVPruneException($"{annotationsPath}: image {line.Id.Display}, question \"{question}\" has {gts.Count} answers; TextVQAAccuracyEvaluator asserts 10");
                cache[raw] = gts;
            }
            scores.Add(VqaAccuracy.LeaveOneOut(gts, VqaAnswerNormalizer.EvalAi(line.Text)));
        }
        if (scores.Count == 0) throw new LVPruneException($"{answersPath}: no answers to score");
        double accuracy = PyFloat.Mean(scores);
        return new ScoreReport
        {
            Benchmark = "textvqa", Count = scores.Count, Accuracy = accuracy, Warnings = warnings,
            Text = [Path.GetFileNameWithoutExtension(answersPath), $"Samples: {scores.Count}", $"Accuracy: {PyFloat.Fixed(100.0 * accuracy, 2)}%"],
            Extra = new JsonObject { ["error_lines"] = answers.ErrorLines },
        };
    }

    /// <summary>
    /// eval_textvqa.py prompt_processor, lower-cased: "OCR tokens: ... Question: Q Short answer:" gives Q;
    /// a 3-line prompt holding "Reference OCR token: " gives line 1 if it starts with that, else line 0;
    /// a 2-line prompt gives line 0; anything else is refused (null; the script asserts).
    /// </summary>
    public static string? PromptQuestion(string prompt)
    {
        string question;
        var lines = prompt.Split('\n');
        if (prompt.StartsWith("OCR tokens: ", StringComparison.Ordinal))
        {
            var m = OcrTokensQuestion.Match(prompt);
            if (!m.Success) return null;
            question = m.Groups[1].Value;
        }
        else if (prompt.Contains("Reference OCR token: ", StringComparison.Ordinal) && lines.Length == 3)
            question = prompt.StartsWith("Reference OCR token:", StringComparison.Ordinal) ? lines[1] : lines[0];
        else if (lines.Length == 2)
            question = lines[0];
        else
            return null;
        return PyStr.Lower(question);
    }
}
