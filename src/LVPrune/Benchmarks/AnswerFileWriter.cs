using System.Text;
using System.Text.Json;

namespace LVPrune.Benchmarks;

/// <summary>
/// Appends answer lines to a run's answer file, one flushed line at a time, and picks up a file left by
/// a stopped run: a torn last line (no newline at its end, or not valid JSON) is cut off, the complete
/// lines must answer the shard's first questions in order, under the same model and pruning
/// configuration, and the run continues after them. So a run that is killed and started again writes
/// the same file as an uninterrupted one (answer ids and timings aside).
/// </summary>
public sealed class AnswerFileWriter : IDisposable
{
    private readonly FileStream _stream;

    private AnswerFileWriter(string path, FileStream stream, int answered, bool repaired)
    {
        Path = path;
        _stream = stream;
        Answered = answered;
        Repaired = repaired;
    }

    public string Path { get; }
    /// <summary>Questions of the shard the file already answered when opened.</summary>
    public int Answered { get; private set; }
    /// <summary>True when a torn last line was cut off.</summary>
    public bool Repaired { get; }

    /// <summary>
    /// Opens (creating it, and its folder, when absent) the answer file of a run over <paramref name="questions"/>.
    /// <paramref name="modelId"/>, <paramref name="method"/> and <paramref name="keepRatios"/> must match the lines already there.
    /// </summary>
    public static AnswerFileWriter Open(string path, IReadOnlyList<BenchmarkQuestion> questions, string modelId, string method, IReadOnlyList<double>? keepRatios)
    {
        int answered = 0;
        bool repaired = false;
        try
        {
            if (System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            try
            {
                (answered, long validLength, repaired) = Inspect(path, stream, questions, modelId, method, keepRatios);
                stream.SetLength(validLength);
                stream.Seek(validLength, SeekOrigin.Begin);
                return new AnswerFileWriter(path, stream, answered, repaired);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"{path}: cannot open the answer file: {e.Message}");
        }
    }

    /// <summary>Appends complete lines and flushes them to the file.</summary>
    public void Append(IEnumerable<string> lines)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
        _stream.Write(bytes);
        _stream.Flush();
    }

    public void Dispose() => _stream.Dispose();

    private static (int Answered, long ValidLength, bool Repaired) Inspect(string path, FileStream stream, IReadOnlyList<BenchmarkQuestion> questions,
                                                                          string modelId, string method, IReadOnlyList<double>? keepRatios)
    {
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1; // complete lines end here
        bool repaired = end < bytes.Length;
        var lines = Encoding.UTF8.GetString(bytes, 0, end).Split('\n').SkipLast(1).ToList();
        long valid = end;
        if (lines.Count > 0 && JsonFiles.TryParseLine(lines[^1]) is null)
        {
            // A last line that is complete but not valid JSON is torn as well (killed mid-write by a buffered writer).
            valid -= Encoding.UTF8.GetByteCount(lines[^1]) + 1;
            lines.RemoveAt(lines.Count - 1);
            repaired = true;
        }
        if (lines.Count > questions.Count)
            throw new LVPruneException($"{path}: {lines.Count} answers, more than the {questions.Count} questions of this run (another run's answer file? delete it or choose another --answers)");
        for (int i = 0; i < lines.Count; i++)
        {
            string where = $"{path} line {i + 1}";
            var json = JsonFiles.TryParseLine(lines[i]) ?? throw new LVPruneException($"{where}: not valid JSON (only a torn last line is repaired; delete the file to start again)");
            var id = QuestionKey.From(JsonFiles.Require(json, "question_id", where));
            if (!questions[i].Id.Equals(id))
                throw new LVPruneException($"{where}: answers question {id?.Display ?? "?"}, but this run's question {i + 1} is {questions[i].Id.Display} (another benchmark's or shard's answer file? delete it or choose another --answers)");
            if (JsonFiles.Get(json, "model_id") is { ValueKind: JsonValueKind.String } m && m.GetString() != modelId)
                throw new LVPruneException($"{where}: written by model {m.GetString()}, this run is {modelId} (choose another --answers)");
            if (JsonFiles.Get(json, "metadata") is { ValueKind: JsonValueKind.Object } meta)
            {
                if (JsonFiles.Get(meta, "method") is { ValueKind: JsonValueKind.String } me && me.GetString() != method)
                    throw new LVPruneException($"{where}: written with --method {me.GetString()}, this run is {method} (choose another --answers)");
                if (JsonFiles.Get(meta, "keep_ratios") is { } k && !SameRatios(k, keepRatios))
                    throw new LVPruneException($"{where}: written with keep ratios {k.GetRawText()}, this run keeps [{string.Join(", ", keepRatios ?? [])}] (choose another --answers)");
            }
        }
        return (lines.Count, valid, repaired);
    }

    private static bool SameRatios(JsonElement stored, IReadOnlyList<double>? current)
    {
        if (stored.ValueKind == JsonValueKind.Null) return current is null;
        if (stored.ValueKind != JsonValueKind.Array || current is null || stored.GetArrayLength() != current.Count) return false;
        return stored.EnumerateArray().Select(e => e.GetDouble()).Zip(current).All(p => Math.Abs(p.First - p.Second) < 1e-9);
    }
}
