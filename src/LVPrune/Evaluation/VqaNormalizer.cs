using LVPrune.Benchmarks.Scoring;

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
/// <para>Both are the benchmark harness's exact implementations (<see cref="VqaAnswerNormalizer"/>, with
/// Python's <c>lower()</c> and <c>split()</c>); <c>\d</c> is the Unicode digit class, as in Python 3
/// (LLaVA's code); the Python 2 original matched ASCII digits only.</para>
/// </remarks>
public static class VqaNormalizer
{
    /// <summary>The official VQA normalisation (vqaEval.py): see the remarks on the class.</summary>
    public static string Normalize(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return VqaAnswerNormalizer.VqaEval.Prediction(answer);
    }

    /// <summary>
    /// LLaVA's TextVQA normalisation (m4c_evaluator.py EvalAIAnswerProcessor): the official steps
    /// after deleting ',' and '?' and splitting "'s" off as a word of its own.
    /// </summary>
    public static string NormalizeEvalAi(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return VqaAnswerNormalizer.EvalAi(answer);
    }
}
