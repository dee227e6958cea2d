using System.Collections.Frozen;
using System.Text.RegularExpressions;
using LVPrune.Py;

namespace LVPrune.Evaluation;

/// <summary>
/// The answer normalisation shared, with small differences, by the official VQA evaluation
/// (GT-Vision-Lab/VQA vqaEval.py v2.0 a4f1afd / py3 0dc4ab7), the VizWiz API evaluation (TRI-ML
/// vlm-evaluation d9f5896, vizwiz/eval.py) and MMF's EvalAIAnswerProcessor that LLaVA uses
/// (llava/eval/m4c_evaluator.py). Each is an instance of this class; every step is written as the
/// Python code does it, quirks included:
/// <list type="bullet">
/// <item><see cref="ProcessPunctuation"/>: for each mark in the official order, if the mark
/// followed or preceded by a space occurs in the ORIGINAL text, or the original text matches the
/// comma pattern anywhere, the mark is deleted, otherwise replaced by a space; the replacements
/// chain on the output. The apostrophe, ':', '$', '%' and '.' are not in the list.</item>
/// <item>Then <c>periodStrip</c> <c>(?!&lt;=\d)(\.)(?!\d)</c> (a mistyped look-behind: it is a
/// look-ahead for the text "&lt;=digit" and never fires) deletes every '.' not followed by a
/// digit, at most 32 of them: the scripts pass <c>re.UNICODE</c> (32) as the count.</item>
/// <item><see cref="ProcessDigitArticle"/>: Python <c>lower().split()</c>, number words none..ten
/// to digits (none -> 0), articles a / an / the dropped, then the contraction table (whose
/// capitalised keys can never match lower-cased words).</item>
/// </list>
/// </summary>
public sealed class VqaAnswerNormalizer
{
    // vqaEval.py self.punct, in order (the order matters: replacements chain).
    private static readonly string[] Punctuation =
        [";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"];

    // self.manualMap
    private static readonly FrozenDictionary<string, string> NumberWords = new Dictionary<string, string>
    {
        ["none"] = "0", ["zero"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4",
        ["five"] = "5", ["six"] = "6", ["seven"] = "7", ["eight"] = "8", ["nine"] = "9", ["ten"] = "10",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenSet<string> Articles = new[] { "a", "an", "the" }.ToFrozenSet(StringComparer.Ordinal);

    // self.periodStrip = re.compile("(?!<=\d)(\.)(?!\d)"); .NET's \d is Unicode Nd like Python 3's.
    private static readonly Regex PeriodStrip = new(@"(?!<=\d)(\.)(?!\d)", RegexOptions.CultureInvariant);
    private const int PeriodStripCount = 32; // re.UNICODE passed as sub()'s count

    private readonly Regex _commaStrip;
    private readonly FrozenDictionary<string, string> _contractions;

    private VqaAnswerNormalizer(Regex commaStrip, FrozenDictionary<string, string> contractions)
    {
        _commaStrip = commaStrip;
        _contractions = contractions;
    }

    /// <summary>vqaEval.py v2.0 (and master): commaStrip <c>(\d)(\,)(\d)</c>, ASCII-apostrophe contractions.</summary>
    public static VqaAnswerNormalizer VqaEval { get; } =
        new(new Regex(@"(\d)(,)(\d)", RegexOptions.CultureInvariant), VqaContractions.Standard);

    /// <summary>m4c_evaluator.py EvalAIAnswerProcessor: COMMA_STRIP <c>(?&lt;=\d)(\,)+(?=\d)</c> (it can never
    /// match, since <see cref="EvalAi"/> has deleted every comma before), the same contractions.</summary>
    public static VqaAnswerNormalizer M4c { get; } =
        new(new Regex(@"(?<=\d)(,)+(?=\d)", RegexOptions.CultureInvariant), VqaContractions.Standard);

    /// <summary>TRI-ML's copy of the VizWiz API vqaEval: the v2.0 steps with its own contraction table (backticks).</summary>
    public static VqaAnswerNormalizer VizWiz { get; } =
        new(new Regex(@"(\d)(,)(\d)", RegexOptions.CultureInvariant), VqaContractions.VizWizTriMl);

    /// <summary>
    /// LLaVA's converter normalisation, EvalAIAnswerProcessor.__call__: <c>word_tokenize</c> (lower, delete
    /// every ',' and '?', "'s" -> " 's", strip), then '\n' and '\t' to spaces, strip, punctuation,
    /// digits and articles. So "red,white" -> "redwhite", "1,000" -> "1000", "woman's" -> "woman 's".
    /// </summary>
    public static string EvalAi(string answer)
    {
        string text = PyStr.Strip(PyStr.Lower(answer).Replace(",", "").Replace("?", "").Replace("'s", " 's"));
        text = PyStr.Strip(text.Replace('\n', ' ').Replace('\t', ' '));
        return M4c.ProcessDigitArticle(M4c.ProcessPunctuation(text));
    }

    /// <summary>A prediction as vqaEval.evaluate (v2.0) and the VizWiz API process it: '\n', '\t' to
    /// spaces, strip, punctuation, digits and articles.</summary>
    public string Prediction(string answer)
    {
        string text = PyStr.Strip(answer.Replace('\n', ' ').Replace('\t', ' '));
        return ProcessDigitArticle(ProcessPunctuation(text));
    }

    /// <summary>processPunctuation (see the class remarks).</summary>
    public string ProcessPunctuation(string inText)
    {
        bool comma = _commaStrip.IsMatch(inText);
        string outText = inText;
        foreach (string p in Punctuation)
        {
            bool touchesSpace = inText.Contains(p + " ", StringComparison.Ordinal) || inText.Contains(" " + p, StringComparison.Ordinal);
            outText = outText.Replace(p, touchesSpace || comma ? "" : " ", StringComparison.Ordinal);
        }
        return PeriodStrip.Replace(outText, "", PeriodStripCount);
    }

    /// <summary>processDigitArticle (see the class remarks).</summary>
    public string ProcessDigitArticle(string inText)
    {
        var words = new List<string>();
        foreach (string raw in PyStr.Split(PyStr.Lower(inText)))
        {
            string word = NumberWords.GetValueOrDefault(raw, raw);
            if (!Articles.Contains(word)) words.Add(word);
        }
        for (int i = 0; i < words.Count; i++)
            if (_contractions.TryGetValue(words[i], out string? expanded)) words[i] = expanded;
        return string.Join(' ', words);
    }
}
