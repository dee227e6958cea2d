using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace LVPrune.Evaluation;

/// <summary>
/// The answer normalisation of the official VQA evaluation, applied to predictions and human
/// answers before they are compared.
/// </summary>
/// <remarks>
/// <para><see cref="Normalize"/> follows GT-Vision-Lab/VQA,
/// PythonEvaluationTools/vqaEvaluation/vqaEval.py at a013f00 ("Fixed processing answers bug",
/// 2021), the code the VQAv2 / VizWiz servers run: replace '\n' and '\t' by spaces and strip,
/// then <c>processPunctuation</c>, then <c>processDigitArticle</c>. Its quirks are kept on
/// purpose, because scores must match the official ones:</para>
/// <list type="bullet">
/// <item>The apostrophe is not punctuation: "cat's" and "don't" keep it.</item>
/// <item>A punctuation mark next to a space, or anywhere if the text holds a digit-comma-digit
/// ("10,000"), is deleted; otherwise it becomes a space ("black-and-white" -> "black and
/// white").</item>
/// <item><c>periodStrip</c> is written <c>(?!&lt;=\d)(\.)(?!\d)</c>: the first group is a
/// look-AHEAD for the text "&lt;=digit" (a typo for a look-behind) that never fires, so every
/// '.' not followed by a digit is removed ("e.g." -> "eg", "3.5" stays). It is called as
/// <c>sub("", text, re.UNICODE)</c>, which passes re.UNICODE (32) as the COUNT: at most 32
/// periods are removed.</item>
/// <item>"none" maps to "0" with the number words zero..ten.</item>
/// <item>Contraction keys with capitals ("Im", "Ive", "Id've") never match, since the words
/// are lower-cased first.</item>
/// </list>
/// <para><see cref="NormalizeEvalAi"/> is the variant LLaVA uses for TextVQA
/// (llava/eval/m4c_evaluator.py, EvalAIAnswerProcessor, taken from facebookresearch/mmf): it
/// first lower-cases, deletes every ',' and '?', and splits "'s" off as " 's" ("the cat's" ->
/// "cat 's"); its comma pattern is <c>(?&lt;=\d)(\,)+(?=\d)</c>.</para>
/// <para>Regex <c>\d</c> is .NET's Unicode digit class, as in Python 3 (LLaVA's code); the
/// Python 2 original matched ASCII digits only. Lower-casing is culture-invariant.</para>
/// </remarks>
public static class VqaNormalizer
{
    // vqaEval.py: self.periodStrip = re.compile("(?!<=\d)(\.)(?!\d)")
    private static readonly Regex PeriodStrip = new(@"(?!<=\d)(\.)(?!\d)", RegexOptions.CultureInvariant);

    // vqaEval.py: self.commaStrip = re.compile("(\d)(\,)(\d)")
    private static readonly Regex CommaStrip = new(@"(\d)(,)(\d)", RegexOptions.CultureInvariant);

    // m4c_evaluator.py: COMMA_STRIP = re.compile(r"(?<=\d)(\,)+(?=\d)")
    private static readonly Regex EvalAiCommaStrip = new(@"(?<=\d)(,)+(?=\d)", RegexOptions.CultureInvariant);

    // vqaEval.py passes re.UNICODE (= 32) as the count argument of periodStrip.sub.
    private const int PeriodStripCount = 32;

    // vqaEval.py: self.punct, in its order (the order matters: replacements chain).
    private static readonly string[] Punctuation =
        [";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"];

    // vqaEval.py: self.manualMap
    private static readonly FrozenDictionary<string, string> NumberWords = new Dictionary<string, string>
    {
        ["none"] = "0", ["zero"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4",
        ["five"] = "5", ["six"] = "6", ["seven"] = "7", ["eight"] = "8", ["nine"] = "9", ["ten"] = "10",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // vqaEval.py: self.articles
    private static readonly FrozenSet<string> Articles = new[] { "a", "an", "the" }.ToFrozenSet(StringComparer.Ordinal);

    // vqaEval.py: self.contractions (a013f00 writes them all with the ASCII apostrophe).
    private static readonly FrozenDictionary<string, string> Contractions = new Dictionary<string, string>
    {
        ["aint"] = "ain't", ["arent"] = "aren't", ["cant"] = "can't", ["couldve"] = "could've",
        ["couldnt"] = "couldn't", ["couldn'tve"] = "couldn't've", ["couldnt've"] = "couldn't've",
        ["didnt"] = "didn't", ["doesnt"] = "doesn't", ["dont"] = "don't", ["hadnt"] = "hadn't",
        ["hadnt've"] = "hadn't've", ["hadn'tve"] = "hadn't've", ["hasnt"] = "hasn't", ["havent"] = "haven't",
        ["hed"] = "he'd", ["hed've"] = "he'd've", ["he'dve"] = "he'd've", ["hes"] = "he's", ["howd"] = "how'd",
        ["howll"] = "how'll", ["hows"] = "how's", ["Id've"] = "I'd've", ["I'dve"] = "I'd've", ["Im"] = "I'm",
        ["Ive"] = "I've", ["isnt"] = "isn't", ["itd"] = "it'd", ["itd've"] = "it'd've", ["it'dve"] = "it'd've",
        ["itll"] = "it'll", ["let's"] = "let's", ["maam"] = "ma'am", ["mightnt"] = "mightn't",
        ["mightnt've"] = "mightn't've", ["mightn'tve"] = "mightn't've", ["mightve"] = "might've",
        ["mustnt"] = "mustn't", ["mustve"] = "must've", ["neednt"] = "needn't", ["notve"] = "not've",
        ["oclock"] = "o'clock", ["oughtnt"] = "oughtn't", ["ow's'at"] = "'ow's'at", ["'ows'at"] = "'ow's'at",
        ["'ow'sat"] = "'ow's'at", ["shant"] = "shan't", ["shed've"] = "she'd've", ["she'dve"] = "she'd've",
        ["she's"] = "she's", ["shouldve"] = "should've", ["shouldnt"] = "shouldn't",
        ["shouldnt've"] = "shouldn't've", ["shouldn'tve"] = "shouldn't've", ["somebody'd"] = "somebodyd",
        ["somebodyd've"] = "somebody'd've", ["somebody'dve"] = "somebody'd've", ["somebodyll"] = "somebody'll",
        ["somebodys"] = "somebody's", ["someoned"] = "someone'd", ["someoned've"] = "someone'd've",
        ["someone'dve"] = "someone'd've", ["someonell"] = "someone'll", ["someones"] = "someone's",
        ["somethingd"] = "something'd", ["somethingd've"] = "something'd've",
        ["something'dve"] = "something'd've", ["somethingll"] = "something'll", ["thats"] = "that's",
        ["thered"] = "there'd", ["thered've"] = "there'd've", ["there'dve"] = "there'd've",
        ["therere"] = "there're", ["theres"] = "there's", ["theyd"] = "they'd", ["theyd've"] = "they'd've",
        ["they'dve"] = "they'd've", ["theyll"] = "they'll", ["theyre"] = "they're", ["theyve"] = "they've",
        ["twas"] = "'twas", ["wasnt"] = "wasn't", ["wed've"] = "we'd've", ["we'dve"] = "we'd've",
        ["weve"] = "we've", ["werent"] = "weren't", ["whatll"] = "what'll", ["whatre"] = "what're",
        ["whats"] = "what's", ["whatve"] = "what've", ["whens"] = "when's", ["whered"] = "where'd",
        ["wheres"] = "where's", ["whereve"] = "where've", ["whod"] = "who'd", ["whod've"] = "who'd've",
        ["who'dve"] = "who'd've", ["wholl"] = "who'll", ["whos"] = "who's", ["whove"] = "who've",
        ["whyll"] = "why'll", ["whyre"] = "why're", ["whys"] = "why's", ["wont"] = "won't",
        ["wouldve"] = "would've", ["wouldnt"] = "wouldn't", ["wouldnt've"] = "wouldn't've",
        ["wouldn'tve"] = "wouldn't've", ["yall"] = "y'all", ["yall'll"] = "y'all'll", ["y'allll"] = "y'all'll",
        ["yall'd've"] = "y'all'd've", ["y'alld've"] = "y'all'd've", ["y'all'dve"] = "y'all'd've",
        ["youd"] = "you'd", ["youd've"] = "you'd've", ["you'dve"] = "you'd've", ["youll"] = "you'll",
        ["youre"] = "you're", ["youve"] = "you've",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The official VQA normalisation (vqaEval.py): see the remarks on the class.</summary>
    public static string Normalize(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        string text = answer.Replace('\n', ' ').Replace('\t', ' ').Trim();
        return ProcessDigitArticle(ProcessPunctuation(text, CommaStrip));
    }

    /// <summary>
    /// LLaVA's TextVQA normalisation (m4c_evaluator.py EvalAIAnswerProcessor): the official steps
    /// after deleting ',' and '?' and splitting "'s" off as a word of its own.
    /// </summary>
    public static string NormalizeEvalAi(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        // word_tokenize: lower, drop ',' and '?', "'s" -> " 's", strip.
        string text = answer.ToLowerInvariant().Replace(",", "").Replace("?", "").Replace("'s", " 's").Trim();
        text = text.Replace('\n', ' ').Replace('\t', ' ').Trim();
        return ProcessDigitArticle(ProcessPunctuation(text, EvalAiCommaStrip));
    }

    // vqaEval.py processPunctuation: the test looks at the INPUT, the replacements chain on the output.
    private static string ProcessPunctuation(string inText, Regex commaStrip)
    {
        bool digitComma = commaStrip.IsMatch(inText);
        string outText = inText;
        foreach (string p in Punctuation)
        {
            bool touchesSpace = inText.Contains(p + " ", StringComparison.Ordinal)
                || inText.Contains(" " + p, StringComparison.Ordinal);
            outText = outText.Replace(p, touchesSpace || digitComma ? "" : " ", StringComparison.Ordinal);
        }
        return PeriodStrip.Replace(outText, "", PeriodStripCount);
    }

    // vqaEval.py processDigitArticle: lower, split on whitespace, number words -> digits, drop
    // articles, then expand contractions, join with single spaces.
    private static string ProcessDigitArticle(string inText)
    {
        var words = new List<string>();
        foreach (string raw in inText.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string word = NumberWords.GetValueOrDefault(raw, raw);
            if (!Articles.Contains(word))
                words.Add(Contractions.GetValueOrDefault(word, word));
        }
        return string.Join(' ', words);
    }
}
