namespace LVPrune.Evaluation;

/// <summary>
/// The VQA accuracy of one prediction against its human answers, as a fraction in [0, 1].
/// </summary>
/// <remarks>
/// Official formula (GT-Vision-Lab/VQA vqaEval.py, <c>evaluate</c>): for each of the n human
/// answers, leave it out and score min(#remaining answers equal to the prediction / 3, 1); the
/// accuracy is the mean of those n scores. With 10 answers of which m match, that is 0.3, 0.6,
/// 0.9 and 1 for m = 1, 2, 3 and >= 4.
/// <para>Two deliberate choices:</para>
/// <list type="bullet">
/// <item>The prediction and every answer are always normalised (as LLaVA's TextVQA evaluator
/// does). vqaEval.py normalises only when the human answers disagree, so a raw "Yes." against
/// ten "yes" would score 0 there; LLaVA normalises its predictions before submitting, which
/// makes the two agree in practice.</item>
/// <item>A single answer (GQA, ScienceQA) cannot be scored leave-one-out (it would always give 0):
/// it is scored as exact match after normalisation.</item>
/// </list>
/// </remarks>
public static class VqaScore
{
    /// <summary>The accuracy with the official normalisation (<see cref="VqaNormalizer.Normalize"/>).</summary>
    public static double Accuracy(string prediction, IReadOnlyList<string> groundTruths) =>
        Accuracy(prediction, groundTruths, VqaNormalizer.Normalize);

    /// <summary>The accuracy with the given normalisation (e.g. <see cref="VqaNormalizer.NormalizeEvalAi"/>).</summary>
    public static double Accuracy(string prediction, IReadOnlyList<string> groundTruths, Func<string, string> normalize)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(groundTruths);
        ArgumentNullException.ThrowIfNull(normalize);
        if (groundTruths.Count == 0)
            throw new LVPruneException($"VQA scoring: no ground-truth answers for prediction '{prediction}'");

        string predicted = normalize(prediction);
        int n = groundTruths.Count;
        int matches = groundTruths.Count(answer => normalize(answer) == predicted);
        if (n == 1)
            return matches;

        // Leaving out a matching answer leaves matches - 1 equal ones, leaving out another leaves matches.
        double leaveOutMatching = Math.Min(1.0, (matches - 1) / 3.0);
        double leaveOutOther = Math.Min(1.0, matches / 3.0);
        return (matches * leaveOutMatching + (n - matches) * leaveOutOther) / n;
    }
}
