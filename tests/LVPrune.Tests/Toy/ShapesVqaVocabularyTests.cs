using LVPrune.Toy;

namespace LVPrune.Tests.Toy;

public class ShapesVqaVocabularyTests
{
    [Fact]
    public void Every_generated_question_and_answer_is_made_of_vocabulary_words()
    {
        var words = ShapesVqaVocabulary.Words.ToHashSet(StringComparer.Ordinal);
        var generator = new ShapesVqaGenerator(seed: 13, minObjects: 1, maxObjects: 6, imageSize: 64);
        for (int n = 0; n < 300; n++)
        {
            foreach (var q in generator.Next(6).Questions)
            {
                Assert.All(ShapesVqaVocabulary.SplitWords(ShapesVqaVocabulary.FirstHumanTurn(q.Question)), w => Assert.Contains(w, words));
                Assert.Equal([q.Answer], ShapesVqaVocabulary.SplitWords(q.Answer));   // single-word answers
                Assert.Contains(q.Answer, words);
            }
        }
    }

    [Fact]
    public void Words_cover_the_prompt_and_are_sorted_and_distinct()
    {
        var words = ShapesVqaVocabulary.Words;
        foreach (var w in new[] { "USER", "ASSISTANT", ":", "?", "<image>", "What", "color", "Is", "is", "0", "6", "yes", "no", "small", "large" })
            Assert.Contains(w, words);
        Assert.Equal(words.Order(StringComparer.Ordinal), words);
        Assert.Equal(words.Count, words.Distinct().Count());
        Assert.Equal(["USER", ":", "<image>", "What", "color", "is", "the", "circle", "?", "ASSISTANT", ":", "red"],
            ShapesVqaVocabulary.SplitWords("USER: <image>\nWhat color is the circle? ASSISTANT: red"));
        // A small world: a tokenizer with one token per word stays tiny.
        Assert.InRange(words.Count, 40, 80);
    }
}
