namespace LVPrune.Evaluation;

/// <summary>
/// The two normalisations `eval --data` scores with, as plain functions: the official VQA evaluation's
/// (<see cref="Normalize"/>) and LLaVA's TextVQA one (<see cref="NormalizeEvalAi"/>). Both are
/// <see cref="VqaAnswerNormalizer"/>, the one implementation of the official steps and tables that the
/// benchmark scorers use too, quirks included: the apostrophe is not punctuation; a mark next to a
/// space, or anywhere if the text holds digit-comma-digit, is deleted, otherwise it becomes a space
/// ("black-and-white" -> "black and white"); every '.' not followed by a digit goes (at most 32);
/// "none" -> "0" with the number words zero..ten; capitalised contraction keys never match.
/// </summary>
public static class VqaNormalizer
{
    /// <summary>vqaEval.py's prediction normalisation ('\n', '\t' to spaces, strip, punctuation, digits and articles).</summary>
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
