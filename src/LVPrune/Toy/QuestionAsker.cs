using static LVPrune.Toy.ShapesVqaVocabulary;

namespace LVPrune.Toy;

/// <summary>
/// Writes questions about a scene, each answerable from the objects it names, and keeps the data
/// set balanced as it goes: the least-asked families (relative to their weights) are tried first, and existence questions
/// alternate yes / no while cycling through the POPE splits (random, popular, adversarial), two
/// questions (one yes, one no) per split in turn. With independent draws instead, every question's
/// family is drawn afresh by weight and every existence answer and split by a coin, so that no
/// question in a multi-turn conversation can be predicted from the ones before it.
/// </summary>
internal sealed class QuestionAsker
{
    // An object is "clearly" left / right (top / bottom) when its centre lies outside the middle
    // band [0.4, 0.6] of the canvas on that axis.
    private const int BandLowTenths = 4, BandHighTenths = 6;
    // Share of count questions about a colour absent from the scene (answer "0").
    private const double AbsentColorShare = 0.2;

    private readonly Random _rng;
    private readonly Dictionary<string, int> _asked = QuestionFamily.All.ToDictionary(f => f, _ => 0);
    private readonly IReadOnlyDictionary<string, double>? _weights;
    private readonly bool _independent;
    private int _existAsked;

    /// <param name="weights">Relative share of each family (null: all equal; 0: never asked).</param>
    /// <param name="independent">Draw each question's family, and each existence answer, independently at random.</param>
    public QuestionAsker(Random rng, IReadOnlyDictionary<string, double>? weights = null, bool independent = false)
    {
        _rng = rng;
        _weights = weights;
        _independent = independent;
    }

    /// <summary>Up to <paramref name="count"/> questions of distinct families (fewer if the scene cannot answer enough).</summary>
    public IReadOnlyList<ShapesVqaQuestion> Ask(Scene scene, int count)
    {
        if (_independent)
            return AskIndependent(scene, count);
        var order = QuestionFamily.All
            .Select(f => (Family: f, Key: _rng.Next()))
            .Where(f => _weights is null || _weights[f.Family] > 0)
            .OrderBy(f => _weights is null ? _asked[f.Family] : _asked[f.Family] / _weights[f.Family]).ThenBy(f => f.Key)
            .Select(f => f.Family)
            .ToArray();
        var questions = new List<ShapesVqaQuestion>(count);
        foreach (var family in order)
        {
            if (questions.Count == count)
                break;
            var question = TryAsk(family, scene.Objects, scene.ImageSize);
            if (question is null)
                continue;
            _asked[family]++;
            questions.Add(question);
        }
        return questions;
    }

    // Families may repeat; the same question text never does. A family the scene cannot answer is
    // redrawn, a bounded number of times, so a scene may get fewer questions than asked for.
    private IReadOnlyList<ShapesVqaQuestion> AskIndependent(Scene scene, int count)
    {
        const int attemptsPerQuestion = 20;
        var families = QuestionFamily.All.Where(f => _weights is null || _weights[f] > 0).ToArray();
        double total = families.Sum(Weight);
        var questions = new List<ShapesVqaQuestion>(count);
        for (int attempt = 0; questions.Count < count && attempt < attemptsPerQuestion * count; attempt++)
        {
            double u = _rng.NextDouble() * total;
            string family = families[^1];
            foreach (var f in families)
            {
                if (u < Weight(f)) { family = f; break; }
                u -= Weight(f);
            }
            var question = TryAsk(family, scene.Objects, scene.ImageSize);
            if (question is null || questions.Any(q => q.Question == question.Question))
                continue;
            _asked[family]++;
            questions.Add(question);
        }
        return questions;
    }

    private double Weight(string family) => _weights?[family] ?? 1.0;

    private ShapesVqaQuestion? TryAsk(string family, IReadOnlyList<SceneObject> objects, int imageSize) => family switch
    {
        QuestionFamily.Color => AskColor(objects),
        QuestionFamily.Shape => AskShape(objects),
        QuestionFamily.Exist => AskExist(objects),
        QuestionFamily.Count => AskCount(objects),
        QuestionFamily.Position => AskPosition(objects, imageSize),
        QuestionFamily.Size => AskSize(objects),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown question family"),
    };

    private ShapesVqaQuestion? AskColor(IReadOnlyList<SceneObject> objects)
    {
        int[] unique = Indices(objects, o => objects.Count(p => p.Shape == o.Shape) == 1);
        if (unique.Length == 0)
            return null;
        int i = Pick(unique);
        return new(QuestionFamily.Color, ColorQuestion(objects[i].Shape), Word(objects[i].Color), null, [i]);
    }

    private ShapesVqaQuestion? AskShape(IReadOnlyList<SceneObject> objects)
    {
        int[] unique = Indices(objects, o => objects.Count(p => p.Color == o.Color) == 1);
        if (unique.Length == 0)
            return null;
        int i = Pick(unique);
        return new(QuestionFamily.Shape, ShapeQuestion(objects[i].Color), Word(objects[i].Shape), null, [i]);
    }

    private ShapesVqaQuestion AskExist(IReadOnlyList<SceneObject> objects)
    {
        string split = _independent ? Pick(PopeSplit.All.ToArray()) : PopeSplit.All[_existAsked / 2 % PopeSplit.All.Count];
        bool positive = _independent ? _rng.Next(2) == 0 : _existAsked % 2 == 0;
        _existAsked++;

        var present = objects.Select(o => (o.Color, o.Shape)).Distinct().ToHashSet();
        if (positive)
        {
            var (color, shape) = Pick(objects.Select(o => (o.Color, o.Shape)).Distinct().ToArray());
            return new(QuestionFamily.Exist, ExistQuestion(color, shape), Yes, split, Indices(objects, o => o.Color == color && o.Shape == shape));
        }

        var absent = (from color in Enum.GetValues<ObjectColor>()
                      from shape in Enum.GetValues<ShapeKind>()
                      where !present.Contains((color, shape))
                      select (color, shape)).ToArray();
        var candidates = split switch
        {
            PopeSplit.Popular => absent.Where(p => IsPopular(p.color, p.shape)).ToArray(),
            PopeSplit.Adversarial => absent.Where(p => objects.Any(o => o.Color == p.color) && objects.Any(o => o.Shape == p.shape)).ToArray(),
            _ => absent,
        };
        if (candidates.Length == 0)
        {
            // This scene has no negative of that kind (e.g. every present colour-shape pair is present):
            // fall back to a random negative and say so.
            split = PopeSplit.Random;
            candidates = absent;
        }
        var (c, s) = Pick(candidates);
        return new(QuestionFamily.Exist, ExistQuestion(c, s), No, split, []);
    }

    private ShapesVqaQuestion AskCount(IReadOnlyList<SceneObject> objects)
    {
        var absentColors = Enum.GetValues<ObjectColor>().Where(c => objects.All(o => o.Color != c)).ToArray();
        // A present colour is drawn through a random object, so colours shared by more objects
        // (larger counts) come up more often.
        var color = absentColors.Length > 0 && _rng.NextDouble() < AbsentColorShare
            ? Pick(absentColors)
            : objects[_rng.Next(objects.Count)].Color;
        int[] targets = Indices(objects, o => o.Color == color);
        return new(QuestionFamily.Count, CountQuestion(color), CountWords[targets.Length], null, targets);
    }

    private ShapesVqaQuestion? AskPosition(IReadOnlyList<SceneObject> objects, int imageSize)
    {
        var candidates = new List<(int Index, string Answer)>();
        for (int i = 0; i < objects.Count; i++)
        {
            if (!IsUniquePair(objects, i))
                continue;
            if (Side(objects[i].CenterX, imageSize, Left, Right) is { } horizontal)
                candidates.Add((i, horizontal));
            if (Side(objects[i].CenterY, imageSize, Top, Bottom) is { } vertical)
                candidates.Add((i, vertical));
        }
        if (candidates.Count == 0)
            return null;
        var (index, answer) = Pick(candidates.ToArray());
        var o = objects[index];
        string question = answer is Left or Right ? HorizontalQuestion(o.Color, o.Shape) : VerticalQuestion(o.Color, o.Shape);
        return new(QuestionFamily.Position, question, answer, null, [index]);
    }

    private ShapesVqaQuestion? AskSize(IReadOnlyList<SceneObject> objects)
    {
        int[] unique = Enumerable.Range(0, objects.Count).Where(i => IsUniquePair(objects, i)).ToArray();
        if (unique.Length == 0)
            return null;
        int i = Pick(unique);
        return new(QuestionFamily.Size, SizeQuestion(objects[i].Color, objects[i].Shape), Word(objects[i].Size), null, [i]);
    }

    private static string? Side(int centre, int imageSize, string low, string high) =>
        10 * centre < BandLowTenths * imageSize ? low : 10 * centre > BandHighTenths * imageSize ? high : null;

    private static bool IsUniquePair(IReadOnlyList<SceneObject> objects, int i) =>
        objects.Count(o => o.Color == objects[i].Color && o.Shape == objects[i].Shape) == 1;

    private static int[] Indices(IReadOnlyList<SceneObject> objects, Func<SceneObject, bool> predicate) =>
        Enumerable.Range(0, objects.Count).Where(i => predicate(objects[i])).ToArray();

    private T Pick<T>(T[] items) => items[_rng.Next(items.Length)];
}
