namespace LVPrune.Toy;

/// <summary>
/// Generates ShapesVQA deterministically: one <see cref="System.Random"/> seeded with the seed
/// drives every choice (scenes, questions, background noise seeds), in a fixed order, so the same
/// arguments always give the same items and the same image bytes.
/// </summary>
public sealed class ShapesVqaGenerator
{
    /// <summary>Smallest supported canvas: below it a small object would span only a few pixels.</summary>
    public const int MinImageSize = 64;
    /// <summary>Largest supported canvas.</summary>
    public const int MaxImageSize = 1024;
    /// <summary>Most questions per image when families are drawn independently (and may repeat).</summary>
    public const int MaxIndependentQuestions = 16;

    private readonly Random _rng;
    private readonly SceneSampler _scenes;
    private readonly QuestionAsker _questions;
    private int _index;

    /// <param name="seed">Seed of the generator's only random source.</param>
    /// <param name="minObjects">Fewest objects per scene (at least 1).</param>
    /// <param name="maxObjects">Most objects per scene (at most <see cref="ShapesVqaVocabulary.MaxObjectsPerScene"/>).</param>
    /// <param name="imageSize">Side of the square image in pixels; objects scale with it (28-56 px at 192).</param>
    /// <param name="familyWeights">Relative share of each question family (null: equal shares).</param>
    /// <param name="independentFamilies">
    /// Draw each question's family (and each existence answer) independently at random, families
    /// repeating within an image, instead of balancing the data set as it goes. Multi-turn data needs
    /// this: with balanced draws, the families of an image's first questions give away the next one's.
    /// </param>
    public ShapesVqaGenerator(int seed, int minObjects, int maxObjects, int imageSize = 192,
                              IReadOnlyDictionary<string, double>? familyWeights = null, bool independentFamilies = false)
    {
        if (minObjects < 1 || minObjects > maxObjects || maxObjects > ShapesVqaVocabulary.MaxObjectsPerScene)
            throw new LVPruneException(
                $"objects per scene: need 1 <= min <= max <= {ShapesVqaVocabulary.MaxObjectsPerScene}, got min {minObjects}, max {maxObjects}");
        if (imageSize < MinImageSize || imageSize > MaxImageSize)
            throw new LVPruneException($"image size {imageSize}: must be between {MinImageSize} and {MaxImageSize} pixels");
        Seed = seed;
        MinObjects = minObjects;
        MaxObjects = maxObjects;
        ImageSize = imageSize;
        _rng = new Random(seed);
        _scenes = new SceneSampler(_rng, minObjects, maxObjects, imageSize);
        IndependentFamilies = independentFamilies;
        _questions = new QuestionAsker(_rng, familyWeights, independentFamilies);
    }

    public int Seed { get; }
    public int MinObjects { get; }
    public int MaxObjects { get; }
    public int ImageSize { get; }
    public bool IndependentFamilies { get; }

    /// <summary>Most questions one image can be asked: one per family, or more when families are drawn independently.</summary>
    public int MaxQuestionsPerImage => IndependentFamilies ? MaxIndependentQuestions : QuestionFamily.All.Count;

    /// <summary>Draws a new scene (advances the generator).</summary>
    public Scene NextScene() => _scenes.Next();

    /// <summary>
    /// Asks up to <paramref name="count"/> questions about the scene: of distinct families, least-asked
    /// families first (advances the generator and its balancing counters), or with independently drawn families.
    /// </summary>
    public IReadOnlyList<ShapesVqaQuestion> Ask(Scene scene, int count)
    {
        if (count < 1 || count > MaxQuestionsPerImage)
            throw new LVPruneException($"questions per image {count}: must be between 1 and {MaxQuestionsPerImage}");
        return _questions.Ask(scene, count);
    }

    /// <summary>The next image (numbered from 1) with up to <paramref name="questionsPerImage"/> questions (see <see cref="Ask"/>).</summary>
    public ShapesVqaItem Next(int questionsPerImage = 3)
    {
        var scene = NextScene();
        return new ShapesVqaItem(++_index, scene, Ask(scene, questionsPerImage));
    }
}
