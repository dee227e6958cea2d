namespace LVPrune.Benchmarks.Scoring;

/// <summary>
/// The VQA accuracy of one prediction against its n human answers, summed in the official order so
/// the floating-point result is the official one bit for bit: for each answer i in turn, leave it out
/// and score min(1, #other answers equal to the prediction / 3); the accuracy is the sum of the n
/// scores divided by n (the mean over the 10 choose 9 subsets for VQA's ten answers: 0.3, 0.6, 0.9 and
/// 1.0 for 1, 2, 3 and 4+ matches).
/// </summary>
public static class VqaAccuracy
{
    /// <summary>Leave-one-out by position (VizWiz API, TextVQA, lmms-eval).</summary>
    public static double LeaveOneOut(IReadOnlyList<string> groundTruths, string prediction) =>
        LeaveOneOut(groundTruths.Count, (i, j) => i != j, j => groundTruths[j] == prediction);

    /// <summary>
    /// The general form: <paramref name="isOther"/>(i, j) says whether answer j stays when answer i is
    /// left out (vqaEval.py v2.0 compares the answer dicts, so equal dicts leave together), and
    /// <paramref name="matches"/>(j) whether answer j equals the prediction.
    /// </summary>
    public static double LeaveOneOut(int n, Func<int, int, bool> isOther, Func<int, bool> matches)
    {
        if (n == 0) throw new LVPruneException("VQA accuracy: no ground-truth answers");
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            int matching = 0;
            for (int j = 0; j < n; j++)
                if (isOther(i, j) && matches(j)) matching++;
            sum += Math.Min(1.0, matching / 3.0); // acc = min(1, float(len(matchingAns)) / 3)
        }
        return sum / n;
    }
}
