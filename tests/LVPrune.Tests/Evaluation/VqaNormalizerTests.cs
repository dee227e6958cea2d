using LVPrune.Evaluation;

namespace LVPrune.Tests.Evaluation;

// Expected values worked out by hand from GT-Vision-Lab/VQA vqaEval.py (a013f00) and LLaVA's
// m4c_evaluator.py, step by step (see the comment on each case).
public class VqaNormalizerTests
{
    [Theory]
    [InlineData("Two dogs.", "2 dogs")]                 // period stripped, number word mapped
    [InlineData("yes.", "yes")]
    [InlineData("Yes", "yes")]
    [InlineData("  no\n", "no")]                        // newline -> space, stripped
    [InlineData("the cat's", "cat's")]                  // article dropped, apostrophe is not punctuation
    [InlineData("10,000", "10000")]                     // digit-comma-digit: every mark deleted
    [InlineData("10, 000", "10 000")]                   // comma next to a space: deleted
    [InlineData("red,blue", "red blue")]                // comma alone: becomes a space
    [InlineData("3.5", "3.5")]                          // a period before a digit stays
    [InlineData("e.g.", "eg")]                          // other periods go
    [InlineData("dont", "don't")]                       // contraction table
    [InlineData("don't", "don't")]
    [InlineData("Im", "im")]                            // the table's key "Im" cannot match after lower()
    [InlineData("black-and-white", "black and white")]  // '-' touching no space becomes a space
    [InlineData("black - white", "black white")]        // '-' touching a space is deleted
    [InlineData("A Dog?", "dog")]
    [InlineData("An apple!", "apple")]
    [InlineData("none", "0")]                           // manualMap maps "none" too
    [InlineData("ten", "10")]
    [InlineData("eleven", "eleven")]                    // only zero..ten
    [InlineData("(left)", "left")]
    [InlineData("1,000 (approx.)", "1000 approx")]      // digit comma present: brackets deleted, not spaced
    [InlineData("", "")]
    public void NormalizeMatchesTheOfficialProcessing(string input, string expected) =>
        Assert.Equal(expected, VqaNormalizer.Normalize(input));

    [Fact]
    public void AtMost32PeriodsAreStrippedAsTheOfficialCountArgumentImplies()
    {
        string input = new string('.', 40) + "x";
        Assert.Equal(new string('.', 8) + "x", VqaNormalizer.Normalize(input));
    }

    [Theory]
    [InlineData("the cat's", "cat 's")]      // "'s" split off before the official steps
    [InlineData("Two dogs.", "2 dogs")]
    [InlineData("10,000", "10000")]
    [InlineData("red,blue", "redblue")]      // commas deleted outright
    [InlineData("What?", "what")]
    public void NormalizeEvalAiMatchesLlavaTextVqaProcessing(string input, string expected) =>
        Assert.Equal(expected, VqaNormalizer.NormalizeEvalAi(input));
}
