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

    private readonly Random _rng;
    private readonly SceneSampler _scenes;
    private readonly QuestionAsker _questions;
    private int _index;

    /// <param name="seed">Seed of the generator's only random source.</param>
    /// <param name="minObjects">Fewest objects per scene (at least 1).</param>
    /// <param name="maxObjects">Most objects per scene (at most <see cref="ShapesVqaVocabulary.MaxObjectsPerScene"/>).</param>
    /// <param name="imageSize">Side of the square image in pixels; objects scale with it (28-56 px at 192).</param>
    /// <param name="familyWeights">Relative share of each question family (null: equal shares).</param>
    public ShapesVqaGenerator(int seed, int minObjects, int maxObjects, int imageSize = 192, IReadOnlyDictionary<string, double>? familyWeights = null)
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
        _questions = new QuestionAsker(_rng, familyWeights);
    }

    public int Seed { get; }
    public int MinObjects { get; }
    public int MaxObjects { get; }
    public int ImageSize { get; }

    /// <summary>Draws a new scene (advances the generator).</summary>
    public Scene NextScene() => _scenes.Next();

    /// <summary>
    /// Asks up to <paramref name="count"/> questions of distinct families about the scene, least-asked
    /// families first (advances the generator and its balancing counters).
    /// </summary>
    public IReadOnlyList<ShapesVqaQuestion> Ask(Scene scene, int count)
    {
        if (count < 1 || count > QuestionFamily.All.Count)
            throw new LVPruneException($"questions per image {count}: must be between 1 and {QuestionFamily.All.Count}");
        return _questions.Ask(scene, count);
    }

    /// <summary>The next image (numbered from 1) with up to <paramref name="questionsPerImage"/> questions of distinct families.</summary>
    public ShapesVqaItem Next(int questionsPerImage = 3)
    {
        var scene = NextScene();
        return new ShapesVqaItem(++_index, scene, Ask(scene, questionsPerImage));
    }
}
