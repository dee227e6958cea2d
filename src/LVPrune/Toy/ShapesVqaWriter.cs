using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LVPrune.Toy;

/// <summary>
/// Writes a ShapesVQA data set in LLaVA's conversation format (like llava_v1_5_mix665k.json):
/// outDir/images/NNNNNN.png and outDir/data.json, an array of
/// <c>{"id", "image", "conversations": [{"from": "human", "value": "&lt;image&gt;\n..."}, {"from": "gpt", "value": "..."}],
/// "family", "pope_split", "questions", "image_size", "objects"}</c>.
/// "questions" holds, per question-answer turn, its family, POPE split and "targets" (indices
/// into "objects" of the objects it refers to); "objects" describes the scene ("center" and
/// "box" [left, top, right, bottom] in pixels of the image_size canvas).
/// </summary>
public static class ShapesVqaWriter
{
    public const string DataFileName = "data.json";
    public const string ImageFolderName = "images";

    // Images rendered in parallel at a time.
    private const int RenderBatch = 64;

    /// <summary>
    /// Generates and writes <paramref name="count"/> entries. Each image gets
    /// <paramref name="questionsPerImage"/> questions, of distinct families unless <paramref name="independentFamilies"/> (fewer when the scene
    /// cannot answer that many), written either as separate single-turn entries sharing the image
    /// (ids "NNNNNN_k") or, with <paramref name="multiTurn"/>, as one multi-turn entry (id "NNNNNN")
    /// with the image token only in its first human turn. Every file is written under a temporary
    /// name and renamed; data.json comes last. Prints nothing.
    /// </summary>
    public static ShapesVqaSummary Write(
        string outDir, int count, int seed, int minObjects, int maxObjects, int imageSize = 192,
        int questionsPerImage = 3, bool multiTurn = false, IReadOnlyDictionary<string, double>? familyWeights = null,
        bool independentFamilies = false)
    {
        if (count < 1)
            throw new LVPruneException($"entry count {count}: must be at least 1");
        var clock = Stopwatch.StartNew();
        var generator = new ShapesVqaGenerator(seed, minObjects, maxObjects, imageSize, familyWeights, independentFamilies);
        if (questionsPerImage < 1 || questionsPerImage > generator.MaxQuestionsPerImage)
            throw new LVPruneException($"questions per image {questionsPerImage}: must be between 1 and {generator.MaxQuestionsPerImage}"
                                       + (independentFamilies ? "" : $" (up to {ShapesVqaGenerator.MaxIndependentQuestions} with --family-order random)"));

        string imageDir = Path.Combine(outDir, ImageFolderName);
        string dataPath = Path.GetFullPath(Path.Combine(outDir, DataFileName));
        var tally = new Tally();
        int entries = 0, images = 0;
        try
        {
            Directory.CreateDirectory(imageDir);
            AtomicFile.Write(dataPath, tempData =>
            {
                using var stream = File.Create(tempData);
                using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
                json.WriteStartArray();
                var batch = new List<ShapesVqaItem>(RenderBatch);
                while (entries < count)
                {
                    // Scenes and questions come from the generator in order; only the rendering,
                    // a pure function of each scene, runs in parallel, so the bytes do not depend on it.
                    batch.Clear();
                    for (int planned = entries; planned < count && batch.Count < RenderBatch;)
                    {
                        var item = generator.Next(questionsPerImage);
                        batch.Add(item);
                        planned += multiTurn ? 1 : item.Questions.Count;
                    }
                    Parallel.ForEach(batch, item =>
                        AtomicFile.WriteAllBytes(Path.Combine(imageDir, item.ImageFileName), SceneRenderer.RenderPng(item.Scene)));
                    images += batch.Count;
                    foreach (var item in batch)
                    {
                        if (multiTurn)
                        {
                            WriteEntry(json, item.Index.ToString("D6"), item, item.Questions, tally);
                            entries++;
                        }
                        for (int k = 0; !multiTurn && k < item.Questions.Count && entries < count; k++, entries++)
                            WriteEntry(json, $"{item.Index:D6}_{k}", item, [item.Questions[k]], tally);
                    }
                }
                json.WriteEndArray();
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException
                                  || e is AggregateException { InnerException: IOException or UnauthorizedAccessException })
        {
            string reason = (e is AggregateException a ? a.InnerException! : e).Message;
            throw new LVPruneException($"{outDir}: cannot write the ShapesVQA data set: {reason}", e);
        }
        return new ShapesVqaSummary(dataPath, entries, images, tally.Questions, tally.Families, tally.Answers, tally.PopeSplits, clock.Elapsed);
    }

    private static void WriteEntry(Utf8JsonWriter json, string id, ShapesVqaItem item, IReadOnlyList<ShapesVqaQuestion> questions, Tally tally)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("image", $"{ImageFolderName}/{item.ImageFileName}");

        json.WriteStartArray("conversations");
        for (int k = 0; k < questions.Count; k++)
        {
            WriteTurn(json, "human", k == 0 ? ShapesVqaVocabulary.FirstHumanTurn(questions[k].Question) : questions[k].Question);
            WriteTurn(json, "gpt", questions[k].Answer);
            tally.Add(questions[k]);
        }
        json.WriteEndArray();

        bool single = questions.Count == 1;
        json.WriteString("family", single ? questions[0].Family : QuestionFamily.Multi);
        WriteNullableString(json, "pope_split", single ? questions[0].PopeSplit : null);

        json.WriteStartArray("questions");
        foreach (var question in questions)
        {
            json.WriteStartObject();
            json.WriteString("family", question.Family);
            WriteNullableString(json, "pope_split", question.PopeSplit);
            WriteInts(json, "targets", question.Targets);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteNumber("image_size", item.Scene.ImageSize);
        json.WriteStartArray("objects");
        foreach (var obj in item.Scene.Objects)
        {
            json.WriteStartObject();
            json.WriteString("shape", ShapesVqaVocabulary.Word(obj.Shape));
            json.WriteString("color", ShapesVqaVocabulary.Word(obj.Color));
            json.WriteString("size", ShapesVqaVocabulary.Word(obj.Size));
            WriteInts(json, "center", [obj.CenterX, obj.CenterY]);
            WriteInts(json, "box", [obj.Box.Left, obj.Box.Top, obj.Box.Right, obj.Box.Bottom]);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteTurn(Utf8JsonWriter json, string from, string value)
    {
        json.WriteStartObject();
        json.WriteString("from", from);
        json.WriteString("value", value);
        json.WriteEndObject();
    }

    private static void WriteNullableString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
            json.WriteNull(name);
        else
            json.WriteString(name, value);
    }

    private static void WriteInts(Utf8JsonWriter json, string name, IReadOnlyList<int> values)
    {
        json.WriteStartArray(name);
        foreach (int v in values)
            json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    /// <summary>Counts per family, answer and POPE split, in ordinal key order.</summary>
    private sealed class Tally
    {
        public SortedDictionary<string, int> Families { get; } = new(StringComparer.Ordinal);
        public SortedDictionary<string, int> Answers { get; } = new(StringComparer.Ordinal);
        public SortedDictionary<string, int> PopeSplits { get; } = new(StringComparer.Ordinal);
        public int Questions { get; private set; }

        public void Add(ShapesVqaQuestion question)
        {
            Questions++;
            Increment(Families, question.Family);
            Increment(Answers, question.Answer);
            if (question.PopeSplit is not null)
                Increment(PopeSplits, question.PopeSplit);
        }

        private static void Increment(SortedDictionary<string, int> counts, string key) =>
            counts[key] = counts.GetValueOrDefault(key) + 1;
    }
}
