using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace LVPrune.Checkpoints;

/// <summary>
/// The JSON header of a safetensors file, both ways. Layout of a file:
/// 8 bytes N (u64, little-endian) | N bytes of UTF-8 JSON | data section.
/// The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
/// relative to the data section) and may hold "__metadata__", a map of strings.
/// </summary>
internal static class SafetensorsHeader
{
    public const string MetadataKey = "__metadata__";

    /// <summary>The reference implementation's limit on N; a larger N means a corrupt or hostile file.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public sealed record Parsed(Dictionary<string, string> Metadata, Dictionary<string, TensorEntry> Entries);

    /// <summary>
    /// Parses and validates a header: every entry has a known dtype, a shape of non-negative
    /// dimensions whose byte size equals end - begin, and an offset range inside the data section
    /// that overlaps no other. Gaps between tensors are allowed (the reference rejects them).
    /// </summary>
    public static Parsed Parse(byte[] json, string path, long dataLength)
    {
        // JsonDocument checks UTF-8 only when a string is decoded, so check all of it first.
        if (!Utf8.IsValid(json))
            throw new LVPruneException($"{path}: the safetensors header is not valid UTF-8 JSON (invalid UTF-8 bytes)");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new LVPruneException($"{path}: the safetensors header is not valid UTF-8 JSON ({OneLine(e.Message)})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new LVPruneException($"{path}: the safetensors header is a JSON {doc.RootElement.ValueKind}, not an object");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            var seenMetadata = false;
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (seenMetadata)
                        throw new LVPruneException($"{path}: the safetensors header has '{MetadataKey}' twice");
                    seenMetadata = true;
                    ParseMetadata(property.Value, path, metadata);
                    continue;
                }
                if (entries.ContainsKey(property.Name))
                    throw new LVPruneException($"{path}: tensor '{property.Name}' appears twice in the safetensors header");
                entries.Add(property.Name, ParseEntry(property.Name, property.Value, path, dataLength));
            }
            CheckNoOverlap(entries.Values, path);
            return new Parsed(metadata, entries);
        }
    }

    private static void ParseMetadata(JsonElement value, string path, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new LVPruneException($"{path}: '{MetadataKey}' is a JSON {value.ValueKind}, not a map of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new LVPruneException($"{path}: metadata '{item.Name}' is a JSON {item.Value.ValueKind}, not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new LVPruneException($"{path}: metadata '{item.Name}' appears twice");
        }
    }

    private static TensorEntry ParseEntry(string name, JsonElement value, string path, long dataLength)
    {
        string Where() => $"{path}: tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new LVPruneException($"{Where()} is a JSON {value.ValueKind}, not {{dtype, shape, data_offsets}}");

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new LVPruneException($"{Where()} has no string 'dtype'");
        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDType.IsKnown(dtype))
            throw new LVPruneException($"{Where()} has unknown dtype '{dtype}'");

        var shape = ReadIntegers(value, "shape", Where);
        var offsets = ReadIntegers(value, "data_offsets", Where);
        if (offsets.Length != 2)
            throw new LVPruneException($"{Where()} has {offsets.Length} data_offsets, not 2 (begin, end)");
        var (begin, end) = (offsets[0], offsets[1]);
        if (end < begin)
            throw new LVPruneException($"{Where()} has data_offsets [{begin}, {end}] with end before begin");

        var entry = new TensorEntry(name, dtype, shape, begin, end);
        long bits;
        try
        {
            bits = checked(shape.Aggregate(1L, (a, b) => a * b) * SafetensorsDType.ElementBits(dtype));
        }
        catch (OverflowException)
        {
            throw new LVPruneException($"{Where()} has shape {entry.ShapeText}, too large to address");
        }
        if (bits % 8 != 0)
            throw new LVPruneException($"{Where()} has shape {entry.ShapeText} of {dtype}, which is not a whole number of bytes");
        if (bits / 8 != end - begin)
            throw new LVPruneException(
                $"{Where()} has shape {entry.ShapeText} of {dtype} ({bits / 8} bytes) but data_offsets [{begin}, {end}] span {end - begin} bytes");
        if (end > dataLength)
            throw new LVPruneException(
                $"{Where()} ends at data byte {end} but the file holds only {dataLength} data bytes (truncated file?)");
        return entry;
    }

    private static long[] ReadIntegers(JsonElement value, string field, Func<string> where)
    {
        if (!value.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new LVPruneException($"{where()} has no array '{field}'");
        var result = new long[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var v) || v < 0)
                throw new LVPruneException($"{where()} has '{field}' [{array.GetRawText()}] with an item that is not a non-negative integer");
            result[i++] = v;
        }
        return result;
    }

    private static void CheckNoOverlap(IEnumerable<TensorEntry> entries, string path)
    {
        TensorEntry? previous = null;
        foreach (var e in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (previous is not null && e.Begin < previous.End)
                throw new LVPruneException(
                    $"{path}: tensors '{previous.Name}' [{previous.Begin}, {previous.End}) and '{e.Name}' [{e.Begin}, {e.End}) overlap");
            previous = e;
        }
    }

    /// <summary>
    /// The header bytes for tensors laid out in the given order, padded with spaces to a multiple of
    /// 8 bytes as the reference does. Metadata (if any) comes first, keys in ordinal order.
    /// </summary>
    public static byte[] Build(IReadOnlyList<TensorEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType);
                json.WriteStartArray("shape");
                foreach (var d in e.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(e.Begin);
                json.WriteNumberValue(e.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var padding = (int)((8 - buffer.Length % 8) % 8);
        for (var i = 0; i < padding; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
