using System.Text.Json;

namespace LVPrune.Benchmarks;

/// <summary>Reading the benchmarks' JSON files with one-line errors that name the file, line and key at fault.</summary>
public static class JsonFiles
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 256 };

    /// <summary>Parses a whole JSON file.</summary>
    public static JsonDocument Load(string path, string what)
    {
        if (!File.Exists(path)) throw new LVPruneException($"{path}: {what} not found");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonDocument.Parse(stream, Options);
        }
        catch (JsonException e)
        {
            throw new LVPruneException($"{path} line {(e.LineNumber ?? 0) + 1}: not valid JSON ({what}): {FirstLine(e.Message)}");
        }
        catch (IOException e) { throw new LVPruneException($"{path}: cannot read the {what}: {e.Message}"); }
    }

    /// <summary>
    /// The lines of a text file as Python's <c>for line in open(f)</c> gives them, without their ends:
    /// universal newlines, so "\r\n", "\r" and "\n" all end a line.
    /// </summary>
    public static IReadOnlyList<string> Lines(string path, string what)
    {
        if (!File.Exists(path)) throw new LVPruneException($"{path}: {what} not found");
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException e) { throw new LVPruneException($"{path}: cannot read the {what}: {e.Message}"); }
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n' && text[i] != '\r') continue;
            lines.Add(text[start..i]);
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }

    /// <summary>One line of a JSON-lines file as json.loads reads it, or null when it is not valid JSON.</summary>
    public static JsonElement? TryParseLine(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        try
        {
            using var doc = JsonDocument.Parse(line, Options);
            return doc.RootElement.Clone();
        }
        catch (JsonException) { return null; }
    }

    /// <summary>A property of an object (the last one of that name, as json.loads keeps), or null.</summary>
    public static JsonElement? Get(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object) return null;
        JsonElement? found = null;
        foreach (var p in obj.EnumerateObject())
            if (p.NameEquals(name)) found = p.Value;
        return found;
    }

    /// <summary>A required string property, or a one-line error naming the place and key.</summary>
    public static string RequireString(JsonElement obj, string name, string where)
    {
        var v = Get(obj, name);
        if (v is not { ValueKind: JsonValueKind.String } s) throw new LVPruneException($"{where}: \"{name}\" {(v is null ? "is missing" : "is not a string")}");
        return s.GetString()!;
    }

    /// <summary>A required property, or a one-line error naming the place and key.</summary>
    public static JsonElement Require(JsonElement obj, string name, string where) =>
        Get(obj, name) ?? throw new LVPruneException($"{where}: \"{name}\" is missing");

    private static string FirstLine(string message) => message.Split('\n')[0];
}
