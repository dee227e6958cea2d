namespace LVPrune.Toy;

/// <summary>
/// Draws random scenes: object attributes first (colour-shape pairs weighted by
/// <see cref="ShapesVqaVocabulary.PairWeight"/>, sizes uniform), then positions by rejection
/// sampling so that cells stay inside the canvas and at least a small gap apart.
/// </summary>
internal sealed class SceneSampler
{
    // At 192 px: small cells 28-38 px, large cells 46-56 px, 4 px border, 6 px gap between cells.
    private const double SmallMinFraction = 0.073, SmallMaxFraction = 0.099;
    private const double LargeMinFraction = 0.12, LargeMaxFraction = 0.146;
    private const double BorderFraction = 0.02, GapFraction = 0.03;
    private const int PlacementTries = 200;
    private const int SceneTries = 1000;

    private readonly Random _rng;
    private readonly int _minObjects, _maxObjects, _size;
    private readonly int _border, _gap;
    private readonly (int Min, int Max)[] _halfExtent;
    private readonly (ObjectColor Color, ShapeKind Shape, int CumulativeWeight)[] _pairs;

    public SceneSampler(Random rng, int minObjects, int maxObjects, int imageSize)
    {
        _rng = rng;
        _minObjects = minObjects;
        _maxObjects = maxObjects;
        _size = imageSize;
        _border = Math.Max(1, (int)Math.Round(BorderFraction * imageSize));
        _gap = Math.Max(2, (int)Math.Round(GapFraction * imageSize));
        _halfExtent =
        [
            (Half(SmallMinFraction), Half(SmallMaxFraction)),
            (Half(LargeMinFraction), Half(LargeMaxFraction)),
        ];
        int total = 0;
        _pairs = (from color in Enum.GetValues<ObjectColor>()
                  from shape in Enum.GetValues<ShapeKind>()
                  select (color, shape, total += ShapesVqaVocabulary.PairWeight(color, shape))).ToArray();
    }

    private int Half(double fraction) => Math.Max(2, (int)Math.Round(fraction * _size));

    public Scene Next()
    {
        var background = NextBackground();
        for (int attempt = 0; attempt < SceneTries; attempt++)
        {
            var objects = TryPlace(_rng.Next(_minObjects, _maxObjects + 1));
            if (objects is not null)
                return new Scene(_size, background, objects);
        }
        throw new InvalidOperationException($"could not place {_maxObjects} objects in {_size} px after {SceneTries} scenes");
    }

    private SceneObject[]? TryPlace(int count)
    {
        var drafts = new (ObjectColor Color, ShapeKind Shape, ShapeSize Size, int Half)[count];
        for (int i = 0; i < count; i++)
        {
            var (color, shape) = NextPair();
            var size = (ShapeSize)_rng.Next(2);
            var (min, max) = _halfExtent[(int)size];
            drafts[i] = (color, shape, size, _rng.Next(min, max + 1));
        }
        // Place the biggest first (it is the hardest to fit), keep the drawing order as drawn.
        var placed = new SceneObject[count];
        var boxes = new List<PixelBox>(count);
        foreach (int i in Enumerable.Range(0, count).OrderByDescending(i => drafts[i].Half))
        {
            var (color, shape, size, half) = drafts[i];
            SceneObject? obj = null;
            for (int t = 0; t < PlacementTries && obj is null; t++)
            {
                var candidate = new SceneObject(shape, color, size,
                    _rng.Next(_border + half, _size - _border - half + 1),
                    _rng.Next(_border + half, _size - _border - half + 1), half);
                if (boxes.All(b => b.IsSeparatedFrom(candidate.Box, _gap)))
                    obj = candidate;
            }
            if (obj is null)
                return null;
            placed[i] = obj;
            boxes.Add(obj.Box);
        }
        return placed;
    }

    private (ObjectColor, ShapeKind) NextPair()
    {
        int r = _rng.Next(_pairs[^1].CumulativeWeight);
        var pair = _pairs.First(p => r < p.CumulativeWeight);
        return (pair.Color, pair.Shape);
    }

    private SceneBackground NextBackground()
    {
        var pattern = (BackgroundPattern)_rng.Next(3);
        int grey = _rng.Next(95, 166);
        // Channel tints of at most +-8: a grey-ish colour, far from the objects' saturation.
        byte r = (byte)(grey + _rng.Next(-8, 9)), g = (byte)(grey + _rng.Next(-8, 9)), b = (byte)(grey + _rng.Next(-8, 9));
        int amplitude = pattern switch
        {
            BackgroundPattern.Noise => _rng.Next(6, 15),
            BackgroundPattern.Stripes => _rng.Next(6, 13),
            _ => _rng.Next(12, 25),
        };
        double angle = _rng.NextDouble() * Math.PI;
        double period = (6 + _rng.NextDouble() * 18) * _size / 192.0;
        return new SceneBackground(pattern, r, g, b, amplitude, angle, period, _rng.Next());
    }
}
