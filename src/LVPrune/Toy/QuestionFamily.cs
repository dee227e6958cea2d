namespace LVPrune.Toy;

/// <summary>The question families of ShapesVQA, as written in the "family" field of data.json.</summary>
public static class QuestionFamily
{
    /// <summary>"What color is the {shape}?" (the shape is unique in the scene) -> a colour word.</summary>
    public const string Color = "color";
    /// <summary>"What shape is the {color} object?" (the colour is unique) -> a shape word.</summary>
    public const string Shape = "shape";
    /// <summary>"Is there a {color} {shape} in the image?" -> yes / no, negatives drawn POPE-style.</summary>
    public const string Exist = "exist";
    /// <summary>"How many {color} objects are there?" -> a digit "0".."6".</summary>
    public const string Count = "count";
    /// <summary>"Is the {color} {shape} on the left or the right?" / "at the top or the bottom?".</summary>
    public const string Position = "position";
    /// <summary>"Is the {color} {shape} small or large?" (the pair is unique) -> small / large.</summary>
    public const string Size = "size";
    /// <summary>The "family" of a multi-turn entry whose turns come from several families.</summary>
    public const string Multi = "multi";

    /// <summary>Every single-question family, in a fixed order.</summary>
    public static IReadOnlyList<string> All { get; } = [Color, Shape, Exist, Count, Position, Size];

    /// <summary>
    /// Parses "exist=3,count=2": relative weights of the families in generated data (families not
    /// named keep weight 1; weight 0 leaves a family out).
    /// </summary>
    public static IReadOnlyDictionary<string, double> ParseWeights(string text)
    {
        var weights = All.ToDictionary(f => f, _ => 1.0);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !weights.ContainsKey(kv[0]))
                throw new LVPruneException($"--family-weights '{part}': expected FAMILY=WEIGHT with FAMILY one of {string.Join(", ", All)}");
            if (!double.TryParse(kv[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double w) || w < 0 || double.IsInfinity(w))
                throw new LVPruneException($"--family-weights '{part}': the weight must be a number >= 0");
            weights[kv[0]] = w;
        }
        if (weights.Values.All(w => w == 0)) throw new LVPruneException("--family-weights: at least one family needs a weight above 0");
        return weights;
    }
}

/// <summary>How the negative of an <see cref="QuestionFamily.Exist"/> question was drawn (POPE, Li et al. 2023).</summary>
public static class PopeSplit
{
    /// <summary>Any colour-shape pair absent from the scene.</summary>
    public const string Random = "random";
    /// <summary>An absent pair among the pairs that are frequent in the data set (ShapesVqaVocabulary.IsPopular).</summary>
    public const string Popular = "popular";
    /// <summary>A colour present in the scene with a shape present in the scene, never together.</summary>
    public const string Adversarial = "adversarial";

    /// <summary>The three splits, in the order the generator cycles through them.</summary>
    public static IReadOnlyList<string> All { get; } = [Random, Popular, Adversarial];
}
