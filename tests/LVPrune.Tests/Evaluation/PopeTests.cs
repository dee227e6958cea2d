using LVPrune.Evaluation;

namespace LVPrune.Tests.Evaluation;

public class PopeTests
{
    [Theory]
    [InlineData("Yes, there is a dog in the image.", true)]
    [InlineData("No, there is no dog.", false)]
    [InlineData("There is not a dog.", false)]
    [InlineData("Yes. But no cat.", true)]           // only the first sentence counts
    [InlineData("No", false)]
    [InlineData("no", false)]
    [InlineData("NO", true)]                         // case-sensitive, as eval_pope.py
    [InlineData("Nope", true)]
    [InlineData("No, ", false)]                      // comma deleted before splitting
    [InlineData("", true)]
    public void IsYesFollowsEvalPope(string answer, bool expected) =>
        Assert.Equal(expected, PopeAnswer.IsYes(answer));

    [Fact]
    public void MetricsOnAHandComputedConfusionMatrix()
    {
        // TP = 3, FP = 1, TN = 4, FN = 2 (10 items).
        var items = new List<(bool, bool)>();
        items.AddRange(Enumerable.Repeat((true, true), 3));
        items.AddRange(Enumerable.Repeat((true, false), 1));
        items.AddRange(Enumerable.Repeat((false, false), 4));
        items.AddRange(Enumerable.Repeat((false, true), 2));

        var metrics = PopeMetrics.Compute(items);

        Assert.Equal(0.75, metrics.Precision, 12);             // 3 / 4
        Assert.Equal(0.6, metrics.Recall, 12);                 // 3 / 5
        Assert.Equal(2 * 0.75 * 0.6 / 1.35, metrics.F1, 12);   // 2/3
        Assert.Equal(2.0 / 3.0, metrics.F1, 12);
        Assert.Equal(0.7, metrics.Accuracy, 12);               // 7 / 10
        Assert.Equal(0.4, metrics.YesRatio, 12);               // 4 / 10
        Assert.Equal(10, metrics.Count);
    }

    [Fact]
    public void NoPredictedYesGivesZeroPrecisionAndF1()
    {
        var metrics = PopeMetrics.Compute([(false, true), (false, false)]);
        Assert.Equal(0, metrics.Precision);
        Assert.Equal(0, metrics.F1);
        Assert.Equal(0.5, metrics.Accuracy, 12);
    }

    [Fact]
    public void EmptyInputIsRejected() =>
        Assert.Throws<ArgumentException>(() => PopeMetrics.Compute([]));
}
