using System.Text.Json;
using LVPrune.Toy;
using LVPrune.Data;

namespace LVPrune.Tests.Toy;

public class ShapesVqaWriterTests
{
    private static Dictionary<string, byte[]> Files(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    [Fact]
    public void Same_seed_writes_byte_identical_files_and_another_seed_does_not()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        using var c = new TempFolder();
        ShapesVqaWriter.Write(a.Path, count: 20, seed: 4, minObjects: 3, maxObjects: 6, imageSize: 96);
        ShapesVqaWriter.Write(b.Path, count: 20, seed: 4, minObjects: 3, maxObjects: 6, imageSize: 96);
        ShapesVqaWriter.Write(c.Path, count: 20, seed: 5, minObjects: 3, maxObjects: 6, imageSize: 96);

        var (filesA, filesB, filesC) = (Files(a.Path), Files(b.Path), Files(c.Path));
        Assert.Equal(filesA.Keys.Order(), filesB.Keys.Order());
        foreach (var (name, bytes) in filesA)
            Assert.True(bytes.AsSpan().SequenceEqual(filesB[name]), $"{name} differs between two runs with one seed");
        Assert.False(filesA["data.json"].AsSpan().SequenceEqual(filesC["data.json"]));
        Assert.False(filesA[Path.Combine("images", "000001.png")].AsSpan().SequenceEqual(filesC[Path.Combine("images", "000001.png")]));
        Assert.DoesNotContain(filesA.Keys, k => k.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(8, filesA.Count);   // data.json and one image per 3 entries (7 images)
    }

    [Fact]
    public void Single_turn_entries_follow_the_llava_layout_and_read_back_as_generated()
    {
        using var folder = new TempFolder();
        var summary = ShapesVqaWriter.Write(folder.Path, count: 10, seed: 8, minObjects: 3, maxObjects: 5, imageSize: 96, questionsPerImage: 3);
        Assert.Equal(10, summary.Entries);
        Assert.Equal(4, summary.Images);   // 3 + 3 + 3 + 1 questions
        Assert.Equal(10, summary.Families.Values.Sum());

        // The raw JSON, exactly as LLaVA writes it (the image token unescaped).
        string text = File.ReadAllText(summary.DataJsonPath);
        Assert.Contains("\"value\": \"<image>\\n", text);
        using var doc = JsonDocument.Parse(text);
        var first = doc.RootElement[0];
        Assert.Equal("000001_0", first.GetProperty("id").GetString());
        Assert.Equal("images/000001.png", first.GetProperty("image").GetString());
        Assert.Equal(JsonValueKind.String, first.GetProperty("family").ValueKind);
        Assert.True(first.TryGetProperty("pope_split", out _));

        // Read back through the conversation reader, with images required, and compare with a
        // second generator run with the same seed.
        var samples = ConversationDataset.Load(summary.DataJsonPath, requireImages: true);
        var generator = new ShapesVqaGenerator(8, 3, 5, 96);
        var expected = Enumerable.Range(0, 4).SelectMany(_ => generator.Next(3) is var item
            ? item.Questions.Select((q, k) => (Id: $"{item.Index:D6}_{k}", Image: $"images/{item.ImageFileName}", q, item.Scene))
            : []).Take(10).ToList();
        Assert.Equal(expected.Count, samples.Count);
        for (int i = 0; i < samples.Count; i++)
        {
            var (s, e) = (samples[i], expected[i]);
            Assert.Equal(e.Id, s.Id);
            Assert.Equal(e.Image, s.Image);
            Assert.Equal([new Turn("human", "<image>\n" + e.q.Question), new Turn("gpt", e.q.Answer)], s.Turns);
            Assert.Equal(e.q.Family, s.Family);
            Assert.Equal(e.q.PopeSplit, s.PopeSplit);
            var extra = s.Extra!.Value;
            Assert.Equal(96, extra.GetProperty("image_size").GetInt32());
            Assert.Equal(e.Scene.Objects.Count, extra.GetProperty("objects").GetArrayLength());
            Assert.Equal(e.q.Targets, extra.GetProperty("questions")[0].GetProperty("targets").EnumerateArray().Select(t => t.GetInt32()));
            var box = extra.GetProperty("objects")[0].GetProperty("box").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var b0 = e.Scene.Objects[0].Box;
            Assert.Equal([b0.Left, b0.Top, b0.Right, b0.Bottom], box);
            Assert.True(File.Exists(ConversationDataset.ResolveImagePath(summary.DataJsonPath, s)));
        }
    }

    [Fact]
    public void Multi_turn_entries_put_the_image_token_only_in_the_first_human_turn()
    {
        using var folder = new TempFolder();
        var summary = ShapesVqaWriter.Write(folder.Path, count: 6, seed: 2, minObjects: 3, maxObjects: 6, imageSize: 64,
            questionsPerImage: 4, multiTurn: true);
        Assert.Equal(6, summary.Entries);
        Assert.Equal(6, summary.Images);
        var samples = ConversationDataset.Load(summary.DataJsonPath, requireImages: true);
        Assert.Equal(6, samples.Count);
        foreach (var s in samples)
        {
            Assert.Equal(8, s.Turns.Count);
            Assert.Equal("multi", s.Family);
            Assert.Null(s.PopeSplit);
            Assert.StartsWith("<image>\n", s.Turns[0].Value);
            Assert.All(s.Turns.Skip(1), t => Assert.DoesNotContain("<image>", t.Value));
            var families = s.Extra!.Value.GetProperty("questions").EnumerateArray().Select(q => q.GetProperty("family").GetString()).ToList();
            Assert.Equal(4, families.Distinct().Count());
        }
        Assert.Equal(24, summary.Questions);
    }

    [Fact]
    public void Bad_count_is_refused()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<LVPruneException>(() => ShapesVqaWriter.Write(folder.Path, 0, 1, 3, 6, 96));
        Assert.Contains("entry count 0", e.Message);
    }

    [Fact]
    public void Family_weights_shift_the_mix_and_zero_leaves_a_family_out()
    {
        var weights = QuestionFamily.ParseWeights("exist=3,size=0");
        using var folder = new TempFolder();
        var summary = ShapesVqaWriter.Write(folder.Path, count: 240, seed: 3, minObjects: 2, maxObjects: 4, imageSize: 64,
                                            questionsPerImage: 1, familyWeights: weights);
        Assert.False(summary.Families.ContainsKey(QuestionFamily.Size));
        // Exist weighs 3 against 1 for the four others: 3/7 of 240 questions (the asker balances as it goes).
        Assert.InRange(summary.Families[QuestionFamily.Exist], 95, 110);
        foreach (var f in new[] { QuestionFamily.Color, QuestionFamily.Count })
            Assert.InRange(summary.Families[f], 28, 40);
    }

    [Fact]
    public void Random_family_order_draws_each_question_independently()
    {
        var generator = new ShapesVqaGenerator(12, 1, 6, 64, independentFamilies: true);
        int repeats = 0, existPairs = 0, sameAnswer = 0;
        var firstFamilies = new Dictionary<string, int>();
        for (int n = 0; n < 300; n++)
        {
            var questions = generator.Next(10).Questions;
            Assert.InRange(questions.Count, 1, 10);
            Assert.Equal(questions.Count, questions.Select(q => q.Question).Distinct().Count()); // never the same question twice
            if (questions.Select(q => q.Family).Distinct().Count() < questions.Count) repeats++;
            firstFamilies[questions[0].Family] = firstFamilies.GetValueOrDefault(questions[0].Family) + 1;
            var exist = questions.Where(q => q.Family == QuestionFamily.Exist).Select(q => q.Answer).ToList();
            for (int i = 1; i < exist.Count; i++, existPairs++) if (exist[i] == exist[i - 1]) sameAnswer++;
        }
        Assert.True(repeats > 250, $"families repeated in only {repeats} of 300 ten-question images");
        Assert.Equal(QuestionFamily.All.Count, firstFamilies.Count);
        // Balanced asking alternates yes / no, so consecutive existence answers never agree; independent ones
        // agree about half the time (a little more than half: duplicates of the few true pairs are redrawn).
        Assert.InRange((double)sameAnswer / existPairs, 0.3, 0.7);

        var balanced = new ShapesVqaGenerator(12, 1, 6, 64);
        Assert.Contains("between 1 and 6", Assert.Throws<LVPruneException>(() => balanced.Next(10)).Message);
        using var folder = new TempFolder();
        var e = Assert.Throws<LVPruneException>(() => ShapesVqaWriter.Write(folder.Path, 5, 1, 1, 6, 64, questionsPerImage: 10));
        Assert.Contains("--family-order random", e.Message);
    }

    [Theory]
    [InlineData("exists=2", "exists=2")]
    [InlineData("exist=-1", "weight must be a number >= 0")]
    [InlineData("color=0,shape=0,exist=0,count=0,position=0,size=0", "at least one family")]
    public void Bad_family_weights_name_the_part_at_fault(string text, string message) =>
        Assert.Contains(message, Assert.Throws<LVPruneException>(() => QuestionFamily.ParseWeights(text)).Message);
}
