using LVPrune.Toy;
using SkiaSharp;

namespace LVPrune.Tests.Toy;

public class SceneRendererTests
{
    private static int Spread(SKColor c) => Math.Max(c.Red, Math.Max(c.Green, c.Blue)) - Math.Min(c.Red, Math.Min(c.Green, c.Blue));

    [Fact]
    public void Png_has_object_colours_at_centres_true_shapes_and_a_desaturated_background()
    {
        var generator = new ShapesVqaGenerator(seed: 21, minObjects: 3, maxObjects: 6, imageSize: 128);
        var seenShapes = new HashSet<ShapeKind>();
        for (int n = 0; n < 25; n++)
        {
            var scene = generator.NextScene();
            using var bitmap = SKBitmap.Decode(SceneRenderer.RenderPng(scene));
            Assert.Equal(128, bitmap.Width);
            Assert.Equal(128, bitmap.Height);

            foreach (var o in scene.Objects)
            {
                seenShapes.Add(o.Shape);
                var (r, g, b) = ShapesVqaVocabulary.Rgb(o.Color);
                var centre = bitmap.GetPixel(o.CenterX, o.CenterY);
                Assert.Equal((r, g, b), (centre.Red, centre.Green, centre.Blue));

                // Near the cell's top-left corner only the square is painted; every other outline
                // leaves the background there.
                int inset = (int)Math.Ceiling(0.85 * o.HalfExtent);
                var corner = bitmap.GetPixel(o.CenterX - inset, o.CenterY - inset);
                if (o.Shape == ShapeKind.Square)
                    Assert.Equal((r, g, b), (corner.Red, corner.Green, corner.Blue));
                else
                    Assert.True(Spread(corner) <= 16, $"{o.Shape} painted its cell corner: {corner}");
            }

            // Every pixel at least one pixel away from all cells is background: grey-ish, with
            // channels at most 16 apart, while every object colour spreads 120 or more.
            for (int y = 0; y < 128; y++)
                for (int x = 0; x < 128; x++)
                    if (scene.Objects.All(o => x < o.Box.Left - 1 || x > o.Box.Right || y < o.Box.Top - 1 || y > o.Box.Bottom))
                        Assert.True(Spread(bitmap.GetPixel(x, y)) <= 16, $"background pixel ({x}, {y}) is {bitmap.GetPixel(x, y)}");
        }
        Assert.Equal(6, seenShapes.Count);
    }

    [Fact]
    public void Object_colours_are_saturated_and_far_apart()
    {
        var colours = Enum.GetValues<ObjectColor>().Select(ShapesVqaVocabulary.Rgb).ToList();
        Assert.All(colours, c => Assert.True(Spread(new SKColor(c.R, c.G, c.B)) >= 120, $"{c} is not saturated"));
        for (int i = 0; i < colours.Count; i++)
            for (int j = i + 1; j < colours.Count; j++)
            {
                var (a, b) = (colours[i], colours[j]);
                int distance = Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B);
                Assert.True(distance >= 90, $"{(ObjectColor)i} and {(ObjectColor)j} are too close");
            }
    }
}
