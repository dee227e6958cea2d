using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// ScienceQA (test split) as llava/eval/eval_science_qa.py scores it. For every pid of
/// pid_splits.json["test"] (problems.json gives choices and answer), the prediction is the last answer
/// line with that question_id, or text "FAILED" / prompt "Unknown" when there is none. Reading the text:
/// exactly "A".."E" -> that letter; else length &gt;= 3, a letter first and ". " after it -> the letter;
/// else <c>re.findall(r'The answer is ([A-Z]).', text)</c> with exactly one hit (the '.' is any
/// character, so "The answer is C" at the very end does not match); else FAILED. Correct when the
/// letter's index is below the number of choices and equals the answer. The IMG subset is the
/// predictions whose PROMPT contains "&lt;image&gt;", so a missing answer to an image question leaves
/// the IMG denominator. Prints "Total: N, Correct: C, Accuracy: x%, IMG-Accuracy: y%".
/// </summary>
public static class ScienceQaScorer
{
    private static readonly string[] Options = ["A", "B", "C", "D", "E"];
    private static readonly Regex AnswerIs = new("The answer is ([A-Z]).", RegexOptions.CultureInvariant);

    public static ScoreReport Score(string answersPath, string baseDir)
    {
        var warnings = new List<string>();
        string splitsPath = Path.Combine(baseDir, "pid_splits.json");
        string problemsPath = Path.Combine(baseDir, "problems.json");
        if (!Directory.Exists(baseDir)) throw new LVPruneException($"{baseDir}: ScienceQA folder (holding problems.json and pid_splits.json) not found");
        using var splitsDoc = JsonFiles.Load(splitsPath, "ScienceQA pid_splits.json");
        using var problemsDoc = JsonFiles.Load(problemsPath, "ScienceQA problems.json");
        if (JsonFiles.Get(splitsDoc.RootElement, "test") is not { ValueKind: JsonValueKind.Array } test)
            throw new LVPruneException($"{splitsPath}: \"test\" is missing");
        var problems = PyJson.LastWins(problemsDoc.RootElement);
        var pids = new List<string>();
        foreach (var p in test.EnumerateArray())
        {
            string pid = p.ValueKind == JsonValueKind.String ? p.GetString()! : throw new LVPruneException($"{splitsPath}: test ids must be strings");
            if (!problems.ContainsKey(pid)) throw new LVPruneException($"{splitsPath}: test pid {pid} is not in {problemsPath}");
            if (!pids.Contains(pid)) pids.Add(pid); // split_problems is a dict
        }

        var answers = AnswerSet.Read(answersPath, warnings);
        var known = pids.ToHashSet(StringComparer.Ordinal);
        answers.RequireKnown(id => id.IsString && known.Contains(id.Display), $"{splitsPath} (test)");

        int correct = 0, total = 0, imgCorrect = 0, imgTotal = 0;
        foreach (string pid in pids)
        {
            string where = $"{problemsPath} {pid}";
            var problem = problems[pid];
            var choices = JsonFiles.Require(problem, "choices", where);
            if (choices.ValueKind != JsonValueKind.Array) throw new LVPruneException($"{where}: \"choices\" must be a list");
            var answer = JsonFiles.Require(problem, "answer", where);
            if (answer.ValueKind != JsonValueKind.Number || !answer.TryGetInt32(out int answerIndex)) throw new LVPruneException($"{where}: \"answer\" must be an integer");
            string text = "FAILED", prompt = "Unknown";
            if (answers.Latest.TryGetValue(QuestionKey.OfString(pid), out var line))
            {
                text = line.Text;
                prompt = line.Prompt ?? throw new LVPruneException($"{answersPath} line {line.Line}: \"prompt\" is missing (eval_science_qa.py reads it to find image questions)");
            }
            int predicted = PredictedIndex(ParseLetter(text), choices.GetArrayLength());
            bool ok = predicted == answerIndex;
            bool multimodal = prompt.Contains("<image>", StringComparison.Ordinal);
            total++;
            if (ok) correct++;
            if (multimodal) { imgTotal++; if (ok) imgCorrect++; }
        }
        if (total == 0) throw new LVPruneException($"{splitsPath}: the test split is empty");
        double all = (double)correct / total;
        double img = imgTotal == 0 ? 0 : (double)imgCorrect / imgTotal;
        if (imgTotal == 0) warnings.Add("no answered image questions: IMG-Accuracy is 0 (eval_science_qa.py divides by zero)");
        return new ScoreReport
        {
            Benchmark = "sqa", Count = total, Accuracy = img, Warnings = warnings,
            Text = [$"Total: {total}, Correct: {correct}, Accuracy: {PyFloat.Fixed(all * 100, 2)}%, IMG-Accuracy: {(imgTotal == 0 ? "n/a" : PyFloat.Fixed(img * 100, 2))}%"],
            Extra = new JsonObject { ["all_accuracy"] = all, ["correct"] = correct, ["img_count"] = imgTotal, ["img_correct"] = imgCorrect },
        };
    }

    /// <summary>The letter eval_science_qa.py reads from a prediction, or "FAILED".</summary>
    public static string ParseLetter(string text)
    {
        if (Options.Contains(text)) return text;
        if (PyStr.Length(text) >= 3 && Options.Contains(text[..1]) && text.Substring(1, 2) == ". ") return text[..1];
        var hits = AnswerIs.Matches(text);
        return hits.Count == 1 ? hits[0].Groups[1].Value : "FAILED";
    }

    // get_pred_idx: the letter's index among the first len(choices) options, else -1.
    private static int PredictedIndex(string letter, int choices)
    {
        int i = Array.IndexOf(Options, letter);
        return i >= 0 && i < choices ? i : -1;
    }
}
