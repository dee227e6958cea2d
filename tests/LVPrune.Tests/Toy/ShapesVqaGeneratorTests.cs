using LVPrune.Toy;

namespace LVPrune.Tests.Toy;

public class ShapesVqaGeneratorTests
{
    private static List<ShapesVqaItem> Generate(int seed, int images, int minObjects = 3, int maxObjects = 6, int size = 192, int questions = 3)
    {
        var generator = new ShapesVqaGenerator(seed, minObjects, maxObjects, size);
        return Enumerable.Range(0, images).Select(_ => generator.Next(questions)).ToList();
    }

    [Fact]
    public void Every_answer_matches_the_scene_recomputed_from_its_objects()
    {
        foreach (var item in Generate(seed: 7, images: 300))
        {
            foreach (var q in item.Questions)
            {
                var truth = SceneOracle.Answer(q.Question, item.Scene);
                Assert.Equal(truth.Family, q.Family);
                Assert.Equal(truth.Answer, q.Answer);
                Assert.Equal(truth.Targets, q.Targets);
            }
            // Distinct families within one image.
            Assert.Equal(item.Questions.Count, item.Questions.Select(q => q.Family).Distinct().Count());
        }
    }

    [Fact]
    public void Families_are_all_present_and_balanced_and_exist_is_half_yes()
    {
        var questions = Generate(seed: 11, images: 400).SelectMany(i => i.Questions).ToList();
        var families = questions.GroupBy(q => q.Family).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["color", "count", "exist", "position", "shape", "size"], families.Keys.Order());
        // Least-asked-first scheduling: 1200 questions over 6 families, about 200 each.
        Assert.All(families.Values, n => Assert.InRange(n, 170, 230));

        var exist = questions.Where(q => q.Family == "exist").ToList();
        int yes = exist.Count(q => q.Answer == "yes"), no = exist.Count(q => q.Answer == "no");
        Assert.Equal(exist.Count, yes + no);
        Assert.InRange(yes - no, 0, 1);
        Assert.All(questions.Where(q => q.Family != "exist"), q => Assert.Null(q.PopeSplit));
        foreach (var split in new[] { "random", "popular", "adversarial" })
        {
            var inSplit = exist.Where(q => q.PopeSplit == split).ToList();
            Assert.True(inSplit.Count(q => q.Answer == "no") >= 20, $"too few {split} negatives");
        }
    }

    [Fact]
    public void Pope_negatives_are_of_the_recorded_kind()
    {
        foreach (var item in Generate(seed: 5, images: 300))
        {
            foreach (var q in item.Questions.Where(q => q.Family == "exist" && q.Answer == "no"))
            {
                var truth = SceneOracle.Answer(q.Question, item.Scene);
                var (color, shape) = (truth.Color!.Value, truth.Shape!.Value);
                Assert.DoesNotContain(item.Scene.Objects, o => o.Color == color && o.Shape == shape);
                if (q.PopeSplit == "adversarial")
                {
                    Assert.Contains(item.Scene.Objects, o => o.Color == color);
                    Assert.Contains(item.Scene.Objects, o => o.Shape == shape);
                }
                if (q.PopeSplit == "popular")   // the frequent pairs: colour index == shape index (red circle, ...)
                    Assert.Equal((int)color, (int)shape);
            }
        }
    }

    [Fact]
    public void Objects_fit_the_canvas_do_not_overlap_and_have_their_size_class()
    {
        foreach (int size in new[] { 96, 192 })
        {
            foreach (var item in Generate(seed: 3, images: 200, size: size, questions: 1))
            {
                var objects = item.Scene.Objects;
                Assert.InRange(objects.Count, 3, 6);
                foreach (var o in objects)
                {
                    var box = o.Box;
                    Assert.True(box.Left >= 0 && box.Top >= 0 && box.Right <= size && box.Bottom <= size, $"{box} outside {size}");
                    Assert.Equal(2 * o.HalfExtent, box.Width);
                    double fraction = (double)box.Width / size;
                    if (o.Size == ShapeSize.Small)
                        Assert.InRange(fraction, 0.14, 0.21);
                    else
                        Assert.InRange(fraction, 0.23, 0.30);
                }
                for (int i = 0; i < objects.Count; i++)
                    for (int j = i + 1; j < objects.Count; j++)
                    {
                        var (a, b) = (objects[i].Box, objects[j].Box);
                        bool disjoint = a.Right <= b.Left || b.Right <= a.Left || a.Bottom <= b.Top || b.Bottom <= a.Top;
                        Assert.True(disjoint, $"{a} overlaps {b}");
                    }
            }
        }
    }

    [Fact]
    public void Object_sizes_at_192_px_span_28_to_56_pixels()
    {
        var widths = Generate(seed: 9, images: 200, questions: 1).SelectMany(i => i.Scene.Objects).ToList();
        Assert.All(widths.Where(o => o.Size == ShapeSize.Small), o => Assert.InRange(o.Box.Width, 28, 38));
        Assert.All(widths.Where(o => o.Size == ShapeSize.Large), o => Assert.InRange(o.Box.Width, 46, 56));
    }

    [Fact]
    public void Same_seed_gives_the_same_items_and_another_seed_does_not()
    {
        static string Text(List<ShapesVqaItem> items) => string.Join("\n", items.Select(i =>
            string.Join(";", i.Scene.Objects) + "|" + i.Scene.Background + "|" + string.Join(";", i.Questions.Select(q => q.Question + "=" + q.Answer))));
        Assert.Equal(Text(Generate(1, 50)), Text(Generate(1, 50)));
        Assert.NotEqual(Text(Generate(1, 50)), Text(Generate(2, 50)));
    }

    [Theory]
    [InlineData(0, 3, 192)]
    [InlineData(4, 3, 192)]
    [InlineData(3, 7, 192)]
    [InlineData(3, 6, 32)]
    public void Bad_arguments_are_refused_with_a_message(int min, int max, int size)
    {
        var e = Assert.Throws<LVPruneException>(() => new ShapesVqaGenerator(1, min, max, size));
        Assert.Contains(size == 32 ? "image size 32" : $"min {min}, max {max}", e.Message);
    }
}
