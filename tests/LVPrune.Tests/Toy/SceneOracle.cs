using System.Text.RegularExpressions;
using LVPrune.Toy;

namespace LVPrune.Tests.Toy;

/// <summary>
/// Answers a ShapesVQA question from the scene's objects by reading the question text, written
/// independently of the generator's question code, for checking its answers.
/// </summary>
internal static class SceneOracle
{
    public sealed record Reading(string Family, string Answer, int[] Targets, ObjectColor? Color, ShapeKind? Shape);

    public static Reading Answer(string question, Scene scene)
    {
        var objects = scene.Objects;
        Match m;
        if ((m = Regex.Match(question, @"^What color is the (\w+)\?$")).Success)
        {
            var shape = ShapeOf(m.Groups[1].Value);
            var matches = Where(objects, o => o.Shape == shape);
            Assert.Single(matches);   // only asked when the shape is unique
            return new("color", ColorWord(objects[matches[0]].Color), matches, null, shape);
        }
        if ((m = Regex.Match(question, @"^What shape is the (\w+) object\?$")).Success)
        {
            var color = ColorOf(m.Groups[1].Value);
            var matches = Where(objects, o => o.Color == color);
            Assert.Single(matches);
            return new("shape", ShapeWord(objects[matches[0]].Shape), matches, color, null);
        }
        if ((m = Regex.Match(question, @"^Is there a (\w+) (\w+) in the image\?$")).Success)
        {
            var (color, shape) = (ColorOf(m.Groups[1].Value), ShapeOf(m.Groups[2].Value));
            var matches = Where(objects, o => o.Color == color && o.Shape == shape);
            return new("exist", matches.Length > 0 ? "yes" : "no", matches, color, shape);
        }
        if ((m = Regex.Match(question, @"^How many (\w+) objects are there\?$")).Success)
        {
            var color = ColorOf(m.Groups[1].Value);
            int count = 0;
            foreach (var o in objects)
                if (o.Color == color)
                    count++;
            return new("count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), Where(objects, o => o.Color == color), color, null);
        }
        if ((m = Regex.Match(question, @"^Is the (\w+) (\w+) (on the left or the right|at the top or the bottom|small or large)\?$")).Success)
        {
            var (color, shape) = (ColorOf(m.Groups[1].Value), ShapeOf(m.Groups[2].Value));
            var matches = Where(objects, o => o.Color == color && o.Shape == shape);
            Assert.Single(matches);
            var o = objects[matches[0]];
            int s = scene.ImageSize;
            string answer = m.Groups[3].Value switch
            {
                "on the left or the right" => o.CenterX < 0.4 * s ? "left" : o.CenterX > 0.6 * s ? "right" : "ambiguous",
                "at the top or the bottom" => o.CenterY < 0.4 * s ? "top" : o.CenterY > 0.6 * s ? "bottom" : "ambiguous",
                // Cells: small about 0.15-0.2 of the canvas, large about 0.24-0.29 (28-38 and 46-56 px at 192).
                _ => 2 * o.HalfExtent <= 0.21 * s ? "small" : 2 * o.HalfExtent >= 0.23 * s ? "large" : "ambiguous",
            };
            return new(m.Groups[3].Value == "small or large" ? "size" : "position", answer, matches, color, shape);
        }
        throw new Xunit.Sdk.XunitException($"question outside the templates: \"{question}\"");
    }

    private static readonly string[] _colors = ["red", "green", "blue", "yellow", "purple", "orange"];
    private static readonly string[] _shapes = ["circle", "square", "triangle", "star", "diamond", "cross"];

    public static ObjectColor ColorOf(string word) => (ObjectColor)Index(_colors, word);
    public static ShapeKind ShapeOf(string word) => (ShapeKind)Index(_shapes, word);
    public static string ColorWord(ObjectColor c) => _colors[(int)c];
    public static string ShapeWord(ShapeKind s) => _shapes[(int)s];

    private static int Index(string[] words, string word)
    {
        int i = Array.IndexOf(words, word);
        Assert.True(i >= 0, $"unknown word \"{word}\"");
        return i;
    }

    private static int[] Where(IReadOnlyList<SceneObject> objects, Func<SceneObject, bool> predicate)
    {
        var indices = new List<int>();
        for (int i = 0; i < objects.Count; i++)
            if (predicate(objects[i]))
                indices.Add(i);
        return indices.ToArray();
    }
}
