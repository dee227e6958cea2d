using LVPrune.Py;

namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// VLMEvalKit's exact-matching answer extraction for multiple-choice questions, as it stood before its
/// PR #1552 (vlmeval/utils/matching_util.py at 0bccf45): <c>can_infer(answer, choices)</c> =
/// <c>can_infer_option</c>, else <c>can_infer_text</c>. Returns the option letter, "Z" for a refusal,
/// or null for "cannot infer" (Python's False).
/// </summary>
public static class MmbenchMatching
{
    private static readonly string[] Refusals =
    [
        "Sorry, I can't help with images of people yet.", "I can't process this file.",
        "I'm sorry, but without the image provided", "Cannot determine the answer",
    ];

    private const string Separators = ".()[],:;!*#{}";

    /// <param name="answer">The prediction (already <c>str()</c>: a missing one is "nan").</param>
    /// <param name="choices">Letter to option text (<c>str(value)</c>), in letter order, missing options left out.</param>
    public static string? CanInfer(string answer, IReadOnlyList<(string Letter, string Text)> choices) =>
        CanInferOption(answer, choices) ?? CanInferText(answer, choices);

    /// <summary>
    /// can_infer_option: "Failed to obtain answer via API" -> cannot; a refusal phrase -> "Z"; replace each
    /// of <c>.()[],:;!*#{}</c> by a space and split on white space; if exactly one option letter occurs as a
    /// word, it is the answer when its first occurrence is one of the last four words
    /// (<c>splits.index(ch) &gt; len(splits) - 5</c>); if none occurs and "Z" does, "Z".
    /// </summary>
    public static string? CanInferOption(string answer, IReadOnlyList<(string Letter, string Text)> choices)
    {
        if (answer.Contains("Failed to obtain answer via API", StringComparison.Ordinal)) return null;
        foreach (string refusal in Refusals)
            if (answer.Contains(refusal, StringComparison.Ordinal)) return "Z";
        string mod = answer;
        foreach (char c in Separators) mod = mod.Replace(c, ' ');
        var splits = PyStr.Split(mod).Select(PyStr.Strip).ToList();
        int count = choices.Count(ch => splits.Contains(ch.Letter));
        if (count == 1)
        {
            foreach (var (letter, _) in choices)
                if (splits.Contains(letter) && splits.IndexOf(letter) > splits.Count - 5) return letter;
        }
        else if (count == 0 && (splits.Contains("Z") ? 1 : 0) + (splits.Contains("") ? 1 : 0) == 1)
            return "Z";
        return null;
    }

    /// <summary>
    /// can_infer_text: lower-case the answer; if it is longer (in code points) than twice the options'
    /// total length, cannot; else the option whose lower-cased text is a substring of the answer, when
    /// exactly one is.
    /// </summary>
    public static string? CanInferText(string answer, IReadOnlyList<(string Letter, string Text)> choices)
    {
        string lower = PyStr.Lower(answer);
        if (PyStr.Length(lower) > 2 * choices.Sum(c => PyStr.Length(c.Text))) return null;
        var hits = choices.Where(c => lower.Contains(PyStr.Lower(c.Text), StringComparison.Ordinal)).ToList();
        return hits.Count == 1 ? hits[0].Letter : null;
    }
}
