using System.Text;
using LVPrune.Data;

namespace LVPrune.Tests.Toy;

public class ConversationDatasetTests
{
    // The shapes of real llava_v1_5_mix665k.json entries: string and numeric ids, a text-only
    // entry with a "model" field, a multi-turn entry, the image token at the end of a turn.
    private const string LlavaSnippet = """
        [
          {"id": "000000033471", "image": "coco/train2017/000000033471.jpg",
           "conversations": [{"from": "human", "value": "<image>\nWhat are the colors of the bus in the image?"},
                             {"from": "gpt", "value": "The bus in the image is white and red."},
                             {"from": "human", "value": "What feature can be seen on the back of the bus?"},
                             {"from": "gpt", "value": "The back of the bus features an advertisement."}]},
          {"id": 1234, "image": "ocr_vqa/images/1234.jpg",
           "conversations": [{"from": "human", "value": "Who wrote this book?\n<image>"}, {"from": "gpt", "value": 1984}]},
          {"id": "i6IyJda_0", "model": "",
           "conversations": [{"from": "human", "value": "Hello"}, {"from": "gpt", "value": "Hi!"}]}
        ]
        """;

    [Fact]
    public void Real_llava_entries_load_with_numeric_ids_text_only_entries_and_extra_fields()
    {
        using var folder = new TempFolder();
        string path = folder.File("mix.json", LlavaSnippet);
        var samples = ConversationDataset.Load(path);

        Assert.Equal(["000000033471", "1234", "i6IyJda_0"], samples.Select(s => s.Id));
        Assert.Equal(4, samples[0].Turns.Count);
        Assert.Equal(new Turn("gpt", "The back of the bus features an advertisement."), samples[0].Turns[3]);
        Assert.Null(samples[0].Extra);
        Assert.EndsWith("\n<image>", samples[1].Turns[0].Value);
        Assert.Equal("1984", samples[1].Turns[1].Value);
        Assert.Null(samples[2].Image);
        Assert.Equal("", samples[2].Extra!.Value.GetProperty("model").GetString());
        Assert.All(samples, s => Assert.Null(s.Family));

        Assert.Equal(Path.Combine(folder.Path, "coco", "train2017", "000000033471.jpg"), ConversationDataset.ResolveImagePath(path, samples[0]));
        Assert.Equal(Path.Combine("/data", "coco", "train2017", "000000033471.jpg"),
            ConversationDataset.ResolveImagePath(path, samples[0], imageFolder: "/data"));
        var absolute = samples[0] with { Image = "/abs/x.png" };
        Assert.Equal("/abs/x.png", ConversationDataset.ResolveImagePath(path, absolute, imageFolder: "/data"));
        Assert.Throws<LVPruneException>(() => ConversationDataset.ResolveImagePath(path, samples[2]));
    }

    [Fact]
    public void Missing_images_are_reported_only_when_required()
    {
        using var folder = new TempFolder();
        string path = folder.File("mix.json", LlavaSnippet);
        Assert.Equal(3, ConversationDataset.Load(path).Count);
        var e = Assert.Throws<LVPruneException>(() => ConversationDataset.Load(path, requireImages: true));
        Assert.Contains(path, e.Message);
        Assert.Contains("entry 0 (id 000000033471)", e.Message);
        Assert.Contains("coco/train2017/000000033471.jpg", e.Message);

        Directory.CreateDirectory(Path.Combine(folder.Path, "imgs", "coco", "train2017"));
        Directory.CreateDirectory(Path.Combine(folder.Path, "imgs", "ocr_vqa", "images"));
        File.WriteAllBytes(Path.Combine(folder.Path, "imgs", "coco", "train2017", "000000033471.jpg"), [1]);
        File.WriteAllBytes(Path.Combine(folder.Path, "imgs", "ocr_vqa", "images", "1234.jpg"), [1]);
        Assert.Equal(3, ConversationDataset.Load(path, requireImages: true, imageFolder: Path.Combine(folder.Path, "imgs")).Count);
    }

    [Theory]
    [InlineData("[\n  {\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"x\"}]},\n  {\"id\": \"b\" \"conversations\": []}\n]", "not valid JSON at line 3", "(entry 1)")]
    [InlineData("[{\"id\": \"a\", \"conversations\": []}]", "entry 0 (id a): \"conversations\" must be a non-empty array", "")]
    [InlineData("{\"id\": \"a\"}", "expected a JSON array", "found StartObject")]
    [InlineData("", "not valid JSON", "")]
    [InlineData("[{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"x\"}]}] x", "not valid JSON", "line 1")]
    [InlineData("[{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"x\"}]}", "not valid JSON", "")]
    [InlineData("[{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]},\n {\"id\": 7, \"conversations\": [{\"from\": \"system\", \"value\": \"x\"}]}]",
        "entry 1 (id 7): turn 0 has \"from\" \"system\"", "expected \"human\" or \"gpt\"")]
    [InlineData("[{\"id\": \"a\", \"conversations\": [{\"from\": \"gpt\", \"value\": \"x\"}]}]", "entry 0 (id a): turn 0 is from \"gpt\"", "alternate")]
    [InlineData("[{\"id\": \"a\", \"image\": \"x.png\"}]", "entry 0 (id a): missing \"conversations\"", "")]
    [InlineData("[{\"image\": \"x.png\", \"conversations\": []}]", "entry 0: missing \"id\"", "")]
    [InlineData("[{\"id\": \"q\", \"conversations\": [{\"from\": \"human\"}]}]", "entry 0 (id q): turn 0 has no \"value\"", "")]
    [InlineData("[{\"id\": \"q\", \"image\": 3, \"conversations\": [{\"from\": \"human\", \"value\": \"x\"}]}]", "\"image\" must be a string", "")]
    [InlineData("[3]", "entry 0: expected an object, found Number", "")]
    public void Bad_files_name_the_file_and_the_entry(string json, string expected, string alsoExpected)
    {
        using var folder = new TempFolder();
        string path = folder.File("bad.json", json);
        var e = Assert.Throws<LVPruneException>(() => ConversationDataset.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(alsoExpected, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Missing_file_is_reported_by_name()
    {
        var e = Assert.Throws<LVPruneException>(() => ConversationDataset.Load("/nonexistent/data.json"));
        Assert.StartsWith("/nonexistent/data.json: cannot open", e.Message);
    }

    [Fact]
    public void Large_files_stream_across_buffer_boundaries_with_a_byte_order_mark()
    {
        // 3000 entries (several 64 kB buffers) and one entry longer than the first buffer, so
        // entries straddle refills and the buffer has to grow; line numbers still count from the top.
        var text = new StringBuilder("[\n");
        string big = new('x', 200_000);
        for (int i = 0; i < 3000; i++)
        {
            string value = i == 1500 ? big : $"answer {i}";
            text.Append($"{{\"id\": {i}, \"image\": \"images/{i}.png\", \"conversations\": [{{\"from\": \"human\", \"value\": \"<image>\\nq{i}\"}}, {{\"from\": \"gpt\", \"value\": \"{value}\"}}]}},\n");
        }
        text.Append("{\"id\": \"last\", \"conversations\": [{\"from\": \"human\", \"value\": \"é ✓\"}]}\n]\n");
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "big.json");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())]);

        var samples = ConversationDataset.Load(path);
        Assert.Equal(3001, samples.Count);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => i.ToString()).Append("last"), samples.Select(s => s.Id));
        Assert.Equal(big, samples[1500].Turns[1].Value);
        Assert.Equal("answer 2999", samples[2999].Turns[1].Value);
        Assert.Equal("<image>\nq2999", samples[2999].Turns[0].Value);
        Assert.Equal("é ✓", samples[3000].Turns[0].Value);

        // Break entry 2500 (on line 2502): the error names that line.
        string broken = text.ToString().Replace("{\"id\": 2500,", "{\"id\": 2500 ,,");
        File.WriteAllText(path, broken);
        var e = Assert.Throws<LVPruneException>(() => ConversationDataset.Load(path));
        Assert.Contains("line 2502", e.Message);
        Assert.Contains("(entry 2500)", e.Message);
    }
}
