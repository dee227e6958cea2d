using System.Text.Json;

namespace LVPrune.Checkpoints;

/// <summary>
/// The Hugging Face shard index, <c>model.safetensors.index.json</c>:
/// {"metadata": {"total_size": bytes of tensor data}, "weight_map": {tensor name: shard file name}}.
/// </summary>
internal static class CheckpointIndex
{
    public const string FileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    /// <summary>The shard file name Hugging Face uses: model-00001-of-00003.safetensors (1-based).</summary>
    public static string ShardFileName(int index, int count) => $"model-{index:D5}-of-{count:D5}.safetensors";

    /// <summary>Whether a file name has the shard pattern (used to remove stale shards).</summary>
    public static bool IsShardFileName(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, @"^model-\d{5}-of-\d{5}\.safetensors$");

    /// <summary>Reads and checks the index; returns the weight map (tensor name -> shard file name).</summary>
    public static Dictionary<string, string> Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"{path}: cannot read: {e.Message}", e);
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new LVPruneException($"{path}: not valid JSON ({e.Message.ReplaceLineEndings(" ")})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw new LVPruneException($"{path}: no \"weight_map\" object");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in map.EnumerateObject())
            {
                if (item.Value.ValueKind != JsonValueKind.String || item.Value.GetString() is not { Length: > 0 } file)
                    throw new LVPruneException($"{path}: weight_map entry '{item.Name}' is not a file name");
                if (System.IO.Path.IsPathRooted(file))
                    throw new LVPruneException($"{path}: weight_map entry '{item.Name}' names an absolute path '{file}'");
                if (!weightMap.TryAdd(item.Name, file))
                    throw new LVPruneException($"{path}: weight_map lists '{item.Name}' twice");
            }
            return weightMap;
        }
    }

    /// <summary>Writes the index atomically, keys sorted, indented like Hugging Face's.</summary>
    public static void Write(string path, long totalSize, IReadOnlyDictionary<string, string> weightMap)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (key, file) in weightMap.OrderBy(p => p.Key, StringComparer.Ordinal))
                json.WriteString(key, file);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        Safetensors.WriteAtomically(path, buffer.Length, buffer.WriteTo);
    }
}
