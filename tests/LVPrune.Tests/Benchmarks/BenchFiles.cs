using System.Text.Json;

namespace LVPrune.Tests.Benchmarks;

/// <summary>A temporary folder for hand-made benchmark files, deleted on dispose.</summary>
internal sealed class BenchFiles : IDisposable
{
    public BenchFiles() => Directory.CreateDirectory(Dir);

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "lvprune-bench-" + Guid.NewGuid().ToString("N"));

    public string Path_(string name) => Path.Combine(Dir, name);

    /// <summary>Writes raw text.</summary>
    public string Text(string name, string text)
    {
        string path = Path.Combine(Dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Writes one JSON value.</summary>
    public string Json(string name, object value) => Text(name, JsonSerializer.Serialize(value));

    /// <summary>Writes JSON lines (a string item is written as it is, e.g. a corrupt line).</summary>
    public string Lines(string name, params object[] lines) =>
        Text(name, string.Concat(lines.Select(l => (l as string ?? JsonSerializer.Serialize(l)) + "\n")));

    /// <summary>An answer line in LLaVA's format.</summary>
    public static object Answer(object id, string text, string prompt = "p") =>
        new Dictionary<string, object> { ["question_id"] = id, ["prompt"] = prompt, ["text"] = text, ["answer_id"] = "x", ["model_id"] = "m", ["metadata"] = new { } };

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
