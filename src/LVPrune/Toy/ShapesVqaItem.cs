namespace LVPrune.Toy;

/// <summary>One question about a scene, with its single-word answer.</summary>
/// <param name="Family">One of <see cref="QuestionFamily.All"/>.</param>
/// <param name="Question">The question text (no image token).</param>
/// <param name="Answer">A single lower-case word from <see cref="ShapesVqaVocabulary.Words"/>.</param>
/// <param name="PopeSplit">For <see cref="QuestionFamily.Exist"/>: the <see cref="Toy.PopeSplit"/> this question belongs to (its negative kind); otherwise null.</param>
/// <param name="Targets">Indices into Scene.Objects of the objects the question refers to (all objects matching its description; empty for a "no" or a zero count).</param>
public sealed record ShapesVqaQuestion(string Family, string Question, string Answer, string? PopeSplit, IReadOnlyList<int> Targets);

/// <summary>One image of ShapesVQA with the questions asked about it.</summary>
/// <param name="Index">1-based image number, which names the image file.</param>
public sealed record ShapesVqaItem(int Index, Scene Scene, IReadOnlyList<ShapesVqaQuestion> Questions)
{
    /// <summary>The image's file name, e.g. "000001.png".</summary>
    public string ImageFileName => $"{Index:D6}.png";
}
