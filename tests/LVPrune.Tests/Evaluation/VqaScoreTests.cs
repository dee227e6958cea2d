using LVPrune.Evaluation;

namespace LVPrune.Tests.Evaluation;

public class VqaScoreTests
{
    private static string[] Answers(int matching, string match = "2", string other = "3") =>
        [.. Enumerable.Repeat(match, matching), .. Enumerable.Repeat(other, 10 - matching)];

    // Leave-one-out by hand, m of 10 answers matching:
    // m = 1: nine subsets hold 1 match (1/3), one holds 0      -> 3/10
    // m = 2: eight subsets hold 2 (2/3), two hold 1 (1/3)      -> (16/3 + 2/3) / 10 = 0.6
    // m = 3: seven subsets hold 3 (1), three hold 2 (2/3)      -> (7 + 2) / 10 = 0.9
    // m = 4: six hold 4 (1), four hold 3 (1)                   -> 1
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.3)]
    [InlineData(2, 0.6)]
    [InlineData(3, 0.9)]
    [InlineData(4, 1.0)]
    [InlineData(10, 1.0)]
    public void TenAnswerAccuracyFollowsTheLeaveOneOutFormula(int matching, double expected) =>
        Assert.Equal(expected, VqaScore.Accuracy("two", Answers(matching)), 12);

    [Fact]
    public void AnswersAreNormalisedBeforeMatching()
    {
        string[] answers = ["Two.", "2", "two", "3", "3", "3", "3", "3", "3", "3"];
        Assert.Equal(0.9, VqaScore.Accuracy("2", answers), 12);
        // Ten identical answers: vqaEval.py would compare "Yes." raw; here it is normalised.
        Assert.Equal(1.0, VqaScore.Accuracy("Yes.", Enumerable.Repeat("yes", 10).ToArray()));
    }

    [Fact]
    public void SingleGroundTruthIsExactMatchAfterNormalisation()
    {
        Assert.Equal(1.0, VqaScore.Accuracy("The table.", ["table"]));
        Assert.Equal(0.0, VqaScore.Accuracy("a chair", ["table"]));
    }

    [Fact]
    public void TheEvalAiVariantCanBeChosen()
    {
        string[] answers = ["cat 's"];
        Assert.Equal(0.0, VqaScore.Accuracy("the cat's", answers));
        Assert.Equal(1.0, VqaScore.Accuracy("the cat's", answers, VqaNormalizer.NormalizeEvalAi));
    }

    [Fact]
    public void NoGroundTruthIsAnError() =>
        Assert.Throws<LVPruneException>(() => VqaScore.Accuracy("x", []));
}
