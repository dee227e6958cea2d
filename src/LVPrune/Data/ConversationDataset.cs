using System.Buffers;
using System.Text.Json;

namespace LVPrune.Data;

/// <summary>
/// Reads LLaVA conversation files: a JSON array of
/// <c>{"id", "image"?, "conversations": [{"from": "human", "value": "&lt;image&gt;\n..."}, {"from": "gpt", "value": "..."}, ...], ...}</c>
/// as in llava_v1_5_mix665k.json (numeric or string ids, text-only entries without "image",
/// extra fields such as "model") and as written by ShapesVqaWriter. The file is streamed, one
/// entry at a time. Every problem is reported as an <see cref="LVPruneException"/> naming the
/// file and the entry (index from 0, and id when known).
/// </summary>
public static class ConversationDataset
{
    private static readonly HashSet<string> _knownFields = new(StringComparer.Ordinal) { "id", "image", "conversations", "family", "pope_split" };

    /// <summary>Reads every entry of the file into memory.</summary>
    /// <param name="requireImages">Check that the image of every entry that has one exists.</param>
    /// <param name="imageFolder">Folder that relative image paths are relative to; default: the JSON's folder.</param>
    public static IReadOnlyList<ConversationSample> Load(string jsonPath, bool requireImages = false, string? imageFolder = null) =>
        Enumerate(jsonPath, requireImages, imageFolder).ToList();

    /// <summary>Streams the entries of the file, validating each as it is read (lazily: errors come while enumerating).</summary>
    public static IEnumerable<ConversationSample> Enumerate(string jsonPath, bool requireImages = false, string? imageFolder = null)
    {
        using var stream = Open(jsonPath);
        var array = new JsonArrayReader(stream);
        var root = Guard(jsonPath, null, array.Start);
        if (root != JsonTokenType.StartArray)
            throw new LVPruneException($"{jsonPath}: expected a JSON array of conversations at the top level, found {root}");
        for (int index = 0; ; index++)
        {
            using var entry = Guard(jsonPath, index, array.Next);
            if (entry is null)
                break;
            var sample = Parse(entry.RootElement, jsonPath, index);
            if (requireImages && sample.Image is not null)
            {
                string image = ResolveImagePath(jsonPath, sample, imageFolder);
                if (!File.Exists(image))
                    throw new LVPruneException($"{Where(jsonPath, index, sample.Id)}: image \"{sample.Image}\" not found (looked for {image})");
            }
            yield return sample;
        }
        Guard(jsonPath, null, () => { array.Finish(); return 0; });
    }

    /// <summary>
    /// The full path of a sample's image: its "image" as is when absolute, otherwise relative to
    /// <paramref name="imageFolder"/> when given, else to the folder of <paramref name="jsonPath"/>.
    /// </summary>
    public static string ResolveImagePath(string jsonPath, ConversationSample sample, string? imageFolder = null)
    {
        if (sample.Image is null)
            throw new LVPruneException($"{jsonPath}: entry id {sample.Id} has no image");
        if (Path.IsPathFullyQualified(sample.Image))
            return sample.Image;
        string folder = imageFolder ?? Path.GetDirectoryName(Path.GetFullPath(jsonPath)) ?? ".";
        return Path.GetFullPath(Path.Combine(folder, sample.Image));
    }

    private static FileStream Open(string jsonPath)
    {
        try
        {
            return new FileStream(jsonPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new LVPruneException($"{jsonPath}: cannot open the conversation file: {e.Message}", e);
        }
    }

    /// <summary>Runs one read step, turning a JSON syntax or I/O error into a one-line LVPruneException.</summary>
    private static T Guard<T>(string jsonPath, int? index, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            string entry = index is { } i ? $" (entry {i})" : "";
            throw new LVPruneException($"{jsonPath}: not valid JSON{where}{entry}: {Reason(e.Message)}", e);
        }
        catch (IOException e)
        {
            throw new LVPruneException($"{jsonPath}: cannot read the conversation file: {e.Message}", e);
        }
    }

    // System.Text.Json appends " LineNumber: n | BytePositionInLine: m." and sometimes a path; the line is already in our message.
    private static string Reason(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut >= 0 ? message[..cut] : message).ReplaceLineEndings(" ").Trim();
    }

    private static ConversationSample Parse(JsonElement entry, string jsonPath, int index)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw new LVPruneException($"{Where(jsonPath, index, null)}: expected an object, found {entry.ValueKind}");

        if (!entry.TryGetProperty("id", out var idValue))
            throw new LVPruneException($"{Where(jsonPath, index, null)}: missing \"id\"");
        string id = StringOrNumber(idValue)
            ?? throw new LVPruneException($"{Where(jsonPath, index, null)}: \"id\" must be a string or a number, found {idValue.ValueKind}");
        string where = Where(jsonPath, index, id);

        string? image = OptionalString(entry, "image", where);
        if (image is { Length: 0 })
            throw new LVPruneException($"{where}: \"image\" is empty");

        if (!entry.TryGetProperty("conversations", out var conversations))
            throw new LVPruneException($"{where}: missing \"conversations\"");
        if (conversations.ValueKind != JsonValueKind.Array || conversations.GetArrayLength() == 0)
            throw new LVPruneException($"{where}: \"conversations\" must be a non-empty array, found {Describe(conversations)}");
        var turns = new List<Turn>(conversations.GetArrayLength());
        foreach (var turn in conversations.EnumerateArray())
            turns.Add(ParseTurn(turn, turns.Count, where));

        return new ConversationSample(id, image, turns,
            OptionalString(entry, "family", where), OptionalString(entry, "pope_split", where), Extra(entry));
    }

    private static Turn ParseTurn(JsonElement turn, int k, string where)
    {
        if (turn.ValueKind != JsonValueKind.Object)
            throw new LVPruneException($"{where}: turn {k} must be an object, found {turn.ValueKind}");
        string expected = k % 2 == 0 ? Turn.Human : Turn.Gpt;
        string? from = turn.TryGetProperty("from", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        if (from is not (Turn.Human or Turn.Gpt))
            throw new LVPruneException($"{where}: turn {k} has \"from\" {Describe(f)}; expected \"human\" or \"gpt\"");
        if (from != expected)
            throw new LVPruneException($"{where}: turn {k} is from \"{from}\" but turns must alternate human, gpt, ... starting with human");
        if (!turn.TryGetProperty("value", out var v))
            throw new LVPruneException($"{where}: turn {k} has no \"value\"");
        string value = StringOrNumber(v) ?? throw new LVPruneException($"{where}: turn {k} has \"value\" {Describe(v)}; expected a string");
        return new Turn(from, value);
    }

    // Real files hold a few numbers where text is expected (ids, short answers): keep their JSON text.
    private static string? StringOrNumber(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    private static string? OptionalString(JsonElement entry, string name, string where)
    {
        if (!entry.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new LVPruneException($"{where}: \"{name}\" must be a string, found {value.ValueKind}");
        return value.GetString();
    }

    private static JsonElement? Extra(JsonElement entry)
    {
        var others = entry.EnumerateObject().Where(p => !_knownFields.Contains(p.Name)).ToList();
        if (others.Count == 0)
            return null;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in others)
                property.WriteTo(writer);
            writer.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static string Where(string jsonPath, int index, string? id) =>
        id is null ? $"{jsonPath}: entry {index}" : $"{jsonPath}: entry {index} (id {id})";

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined => "missing",
        JsonValueKind.String => $"\"{value.GetString()}\"",
        _ => value.ValueKind.ToString(),
    };
}
