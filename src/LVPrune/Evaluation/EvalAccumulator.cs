namespace LVPrune.Evaluation;

/// <summary>
/// Scores items one by one and sums them up into an <see cref="EvalReport"/>.
/// </summary>
/// <remarks>
/// An open-ended item scores <see cref="VqaScore.Accuracy(string, IReadOnlyList{string})"/>. A yes/no
/// (POPE-style) item must carry exactly one ground truth that normalises to "yes" or "no"; the
/// prediction is read with <see cref="PopeAnswer.IsYes"/>, the item scores 1 when the two agree and
/// 0 otherwise, and it also enters the POPE metrics (yes = positive).
/// </remarks>
public sealed class EvalAccumulator
{
    private readonly Dictionary<string, (double Sum, int Count)> _families = new(StringComparer.Ordinal);
    private readonly List<(bool PredictedYes, bool TruthYes)> _yesNo = [];
    private double _sum;
    private int _count;

    /// <summary>Number of items added so far.</summary>
    public int Count => _count;

    /// <summary>Scores one item, adds it to the totals and returns its score in [0, 1].</summary>
    public double Add(string family, string prediction, IReadOnlyList<string> groundTruths, bool isYesNo)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(groundTruths);
        if (string.IsNullOrWhiteSpace(family))
            throw new LVPruneException($"evaluation item {_count}: the family name is empty");

        double score;
        if (isYesNo)
        {
            bool truthYes = YesNoTruth(family, groundTruths);
            bool predictedYes = PopeAnswer.IsYes(prediction);
            _yesNo.Add((predictedYes, truthYes));
            score = predictedYes == truthYes ? 1 : 0;
        }
        else
        {
            score = VqaScore.Accuracy(prediction, groundTruths);
        }

        var (sum, count) = _families.GetValueOrDefault(family);
        _families[family] = (sum + score, count + 1);
        _sum += score;
        _count++;
        return score;
    }

    /// <summary>The report over every item added; at least one item is needed.</summary>
    public EvalReport ToReport()
    {
        if (_count == 0)
            throw new LVPruneException("evaluation: no items were scored");
        var families = _families.ToDictionary(pair => pair.Key, pair => pair.Value.Sum / pair.Value.Count);
        PopeMetrics? pope = _yesNo.Count > 0 ? PopeMetrics.Compute(_yesNo) : null;
        return new EvalReport(_sum / _count, families, pope, _count);
    }

    private bool YesNoTruth(string family, IReadOnlyList<string> groundTruths)
    {
        if (groundTruths.Count != 1)
            throw new LVPruneException(
                $"evaluation item {_count} ({family}): a yes/no item needs exactly one ground truth, got {groundTruths.Count}");
        return VqaNormalizer.Normalize(groundTruths[0]) switch
        {
            "yes" => true,
            "no" => false,
            _ => throw new LVPruneException(
                $"evaluation item {_count} ({family}): yes/no ground truth '{groundTruths[0]}' is neither yes nor no"),
        };
    }
}
