using LVPrune.Benchmarks.Scoring;
using LVPrune.Evaluation;

namespace LVPrune.Tests.Benchmarks;

/// <summary>The three VQA-style normalisers on the edge cases of BENCHMARKS.md section 2 (values as the Python code gives them).</summary>
public class VqaNormalizationTests
{
    [Theory]
    [InlineData("Yes", "yes")]
    [InlineData("yes.", "yes")]
    [InlineData("NO", "no")]
    [InlineData("Skateboarding!", "skateboarding")]
    [InlineData("Living-room", "living room")]
    [InlineData("The pizza.", "pizza")]
    [InlineData("two", "2")]
    [InlineData("ten", "10")]
    [InlineData("zero", "0")]
    [InlineData("none", "0")]                 // none -> 0
    [InlineData("red,white", "redwhite")]     // m4c deletes every comma first
    [InlineData("woman's", "woman 's")]       // and splits possessives
    [InlineData("1,000", "1000")]
    [InlineData("3.5.", "3.5")]
    [InlineData("12:30.", "12:30")]
    [InlineData("on the couch", "on couch")]
    [InlineData("dont walk", "don't walk")]
    [InlineData("I ♥ NY", "i ♥ ny")]
    [InlineData("what?", "what")]
    [InlineData(" Im  here\t", "im here")]    // capitalised contraction keys never match
    [InlineData("a - b", "b")]                // '-' touches a space: deleted; 'a' is an article
    [InlineData("e.g.", "eg")]
    [InlineData(".5", ".5")]                  // the mistyped look-behind: a period before a digit stays
    [InlineData("", "")]
    public void EvalAi_IsLlavasConverterNormalisation(string input, string expected) =>
        Assert.Equal(expected, VqaAnswerNormalizer.EvalAi(input));

    [Theory]
    [InlineData("red,white", "red white")]    // vqaEval on raw text: ',' replaced by a space
    [InlineData("red, white", "red white")]   // ', ' touches a space: deleted
    [InlineData("10,000 / 2", "10000 2")]     // digit-comma-digit anywhere: every mark deleted
    [InlineData("woman's", "woman's")]
    [InlineData("Yes", "yes")]
    public void VqaEvalPrediction_NormalisesWithoutWordTokenize(string input, string expected) =>
        Assert.Equal(expected, VqaAnswerNormalizer.VqaEval.Prediction(input));

    [Fact]
    public void PeriodStrip_RemovesAtMost32Periods()
    {
        // re.sub("", text, re.UNICODE) passes 32 as the count.
        string text = string.Concat(Enumerable.Repeat("x.", 40));
        string result = VqaAnswerNormalizer.VqaEval.ProcessPunctuation(text);
        Assert.Equal(8, result.Count(c => c == '.'));
    }

    [Fact]
    public void VizWizContractions_UseTriMlsBackticks()
    {
        Assert.Equal("don`t", VqaAnswerNormalizer.VizWiz.Prediction("dont"));
        Assert.Equal("ain't", VqaAnswerNormalizer.VizWiz.Prediction("aint"));  // a few keep "'"
        Assert.Equal("don't", VqaAnswerNormalizer.VqaEval.Prediction("dont"));
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.3)]
    [InlineData(2, 0.6)]
    [InlineData(3, 0.9)]
    [InlineData(4, 1.0)]
    [InlineData(10, 1.0)]
    public void LeaveOneOut_IsMinMatchesOverThreeAveragedOverTheTenSubsets(int matches, double expected)
    {
        var gts = Enumerable.Range(0, 10).Select(i => i < matches ? "cat" : "dog").ToList();
        Assert.Equal(expected, VqaAccuracy.LeaveOneOut(gts, "cat"), 12);
    }
}
