namespace LVPrune.Evaluation;

/// <summary>How POPE reads a free-form answer as yes or no.</summary>
/// <remarks>
/// As LLaVA's llava/eval/eval_pope.py (which follows POPE's own evaluate.py): keep the text up to
/// the first '.', delete the commas, split on single spaces, and answer "no" when one of the
/// words is exactly "No", "not" or "no"; anything else counts as "yes". The test is
/// case-sensitive on purpose ("NO" and "Nope" are read as yes), as in the original.
/// </remarks>
public static class PopeAnswer
{
    private static readonly string[] NegativeWords = ["No", "not", "no"];

    /// <summary>True when POPE's rule reads <paramref name="answer"/> as "yes".</summary>
    public static bool IsYes(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        int period = answer.IndexOf('.');
        string firstSentence = period >= 0 ? answer[..period] : answer;
        string[] words = firstSentence.Replace(",", "", StringComparison.Ordinal).Split(' ');
        return !words.Any(word => NegativeWords.Contains(word, StringComparer.Ordinal));
    }
}
