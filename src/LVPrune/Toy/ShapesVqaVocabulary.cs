using System.Text.RegularExpressions;

namespace LVPrune.Toy;

/// <summary>
/// Every word the ShapesVQA world uses: attribute words, the fixed question templates, the answers
/// and the words of the LLaVA-1.5 prompt ("USER: &lt;image&gt;\n{question} ASSISTANT:"), so a
/// tokenizer with one token per word covers the whole data set.
/// </summary>
public static partial class ShapesVqaVocabulary
{
    /// <summary>The most objects a scene may hold; count answers run from "0" to this.</summary>
    public const int MaxObjectsPerScene = 6;

    /// <summary>The LLaVA image placeholder, replaced by the vision tokens.</summary>
    public const string ImageToken = "<image>";

    /// <summary>Colour words, indexed by <see cref="ObjectColor"/>.</summary>
    public static IReadOnlyList<string> ColorWords { get; } = ["red", "green", "blue", "yellow", "purple", "orange"];

    /// <summary>Shape words, indexed by <see cref="ShapeKind"/>.</summary>
    public static IReadOnlyList<string> ShapeWords { get; } = ["circle", "square", "triangle", "star", "diamond", "cross"];

    /// <summary>Size words, indexed by <see cref="ShapeSize"/>.</summary>
    public static IReadOnlyList<string> SizeWords { get; } = ["small", "large"];

    /// <summary>Count answers "0".."6", digits as words.</summary>
    public static IReadOnlyList<string> CountWords { get; } =
        Enumerable.Range(0, MaxObjectsPerScene + 1).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Position answers.</summary>
    public const string Left = "left", Right = "right", Top = "top", Bottom = "bottom";

    /// <summary>Existence answers.</summary>
    public const string Yes = "yes", No = "no";

    // Fill colours: fully saturated (max - min channel >= 120), hues far apart, so that even a
    // 12-pixel object stays nameable; the background's channel spread never exceeds 16.
    private static readonly (byte R, byte G, byte B)[] _rgb =
    [
        (215, 35, 35),   // red
        (40, 160, 60),   // green
        (35, 75, 215),   // blue
        (240, 215, 30),  // yellow
        (135, 50, 185),  // purple
        (240, 120, 20),  // orange
    ];

    public static string Word(ObjectColor color) => ColorWords[(int)color];
    public static string Word(ShapeKind shape) => ShapeWords[(int)shape];
    public static string Word(ShapeSize size) => SizeWords[(int)size];

    /// <summary>The sRGB fill of a colour.</summary>
    public static (byte R, byte G, byte B) Rgb(ObjectColor color) => _rgb[(int)color];

    /// <summary>
    /// The colour-shape pairs that are frequent in the data set: red circle, green square, blue
    /// triangle, yellow star, purple diamond, orange cross. The generator draws each of them three
    /// times as often as any other pair (colour and shape marginals stay uniform), so POPE's
    /// "popular" negatives are absent pairs from this list.
    /// </summary>
    public static bool IsPopular(ObjectColor color, ShapeKind shape) => (int)color == (int)shape;

    /// <summary>Relative sampling weight of a colour-shape pair (3 for popular pairs, else 1).</summary>
    public static int PairWeight(ObjectColor color, ShapeKind shape) => IsPopular(color, shape) ? 3 : 1;

    public static string ColorQuestion(ShapeKind shape) => $"What color is the {Word(shape)}?";
    public static string ShapeQuestion(ObjectColor color) => $"What shape is the {Word(color)} object?";
    public static string ExistQuestion(ObjectColor color, ShapeKind shape) => $"Is there a {Word(color)} {Word(shape)} in the image?";
    public static string CountQuestion(ObjectColor color) => $"How many {Word(color)} objects are there?";
    public static string HorizontalQuestion(ObjectColor color, ShapeKind shape) => $"Is the {Word(color)} {Word(shape)} on the left or the right?";
    public static string VerticalQuestion(ObjectColor color, ShapeKind shape) => $"Is the {Word(color)} {Word(shape)} at the top or the bottom?";
    public static string SizeQuestion(ObjectColor color, ShapeKind shape) => $"Is the {Word(color)} {Word(shape)} small or large?";

    /// <summary>The human turn of a single-image conversation, as written in data.json.</summary>
    public static string FirstHumanTurn(string question) => $"{ImageToken}\n{question}";

    /// <summary>
    /// Every sentence the world uses: each question with each filling, each answer, and the
    /// LLaVA-1.5 prompt frame. Deterministic order.
    /// </summary>
    public static IEnumerable<string> Corpus()
    {
        yield return $"USER: {ImageToken}\n ASSISTANT:";
        foreach (var shape in Enum.GetValues<ShapeKind>())
            yield return ColorQuestion(shape);
        foreach (var color in Enum.GetValues<ObjectColor>())
        {
            yield return ShapeQuestion(color);
            yield return CountQuestion(color);
            foreach (var shape in Enum.GetValues<ShapeKind>())
            {
                yield return ExistQuestion(color, shape);
                yield return HorizontalQuestion(color, shape);
                yield return VerticalQuestion(color, shape);
                yield return SizeQuestion(color, shape);
            }
        }
        foreach (var answer in ColorWords.Concat(ShapeWords).Concat(SizeWords).Concat(CountWords))
            yield return answer;
        foreach (var answer in new[] { Yes, No, Left, Right, Top, Bottom })
            yield return answer;
    }

    /// <summary>Every distinct word of <see cref="Corpus"/> (as split by <see cref="SplitWords"/>), sorted ordinally.</summary>
    public static IReadOnlyList<string> Words { get; } =
        Corpus().SelectMany(SplitWords).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Splits text into words: the image token, runs of letters, single digits and single
    /// punctuation marks; white space separates and is dropped.
    /// </summary>
    public static IEnumerable<string> SplitWords(string text) => WordPattern().Matches(text).Select(m => m.Value);

    [GeneratedRegex(@"<image>|[A-Za-z]+|[0-9]|[^\sA-Za-z0-9]")]
    private static partial Regex WordPattern();
}
