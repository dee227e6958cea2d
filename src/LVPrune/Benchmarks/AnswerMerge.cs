using System.Text.Json;

namespace LVPrune.Benchmarks;

/// <summary>
/// Joins the answer files of a benchmark's shards into one file in question order, the way LLaVA's
/// scripts concatenate {CHUNKS}_{IDX}.jsonl into merge.jsonl. Lines are copied byte for byte. When every
/// line carries metadata.question_index (our runs do), lines are ordered by it whatever the order of the
/// files, and an index given twice or a gap is an error; files without it are concatenated in the order given.
/// </summary>
public static class AnswerMerge
{
    public sealed record Result(int Lines, bool OrderedByIndex);

    public static Result Merge(IReadOnlyList<string> shardPaths, string outPath)
    {
        if (shardPaths.Count == 0) throw new LVPruneException("eval merge: give the shard answer files to join");
        var entries = new List<(string Line, int? Index, string Where)>();
        foreach (string path in shardPaths)
        {
            if (!File.Exists(path)) throw new LVPruneException($"{path}: shard answer file not found");
            string text = File.ReadAllText(path);
            if (text.Length > 0 && !text.EndsWith('\n'))
                throw new LVPruneException($"{path}: the last line is torn (the run was stopped); run that shard again to repair and finish it");
            var lines = text.Split('\n').SkipLast(1).ToList();
            for (int i = 0; i < lines.Count; i++)
            {
                string where = $"{path} line {i + 1}";
                if (JsonFiles.TryParseLine(lines[i]) is not { ValueKind: JsonValueKind.Object } json)
                    throw new LVPruneException($"{where}: not a valid answer line");
                int? index = JsonFiles.Get(json, "metadata") is { ValueKind: JsonValueKind.Object } meta
                             && JsonFiles.Get(meta, "question_index") is { ValueKind: JsonValueKind.Number } qi && qi.TryGetInt32(out int v) ? v : null;
                entries.Add((lines[i], index, where));
            }
        }
        bool byIndex = entries.Count > 0 && entries.All(e => e.Index is not null);
        if (byIndex)
        {
            entries = entries.OrderBy(e => e.Index).ToList(); // stable
            for (int k = 0; k < entries.Count; k++)
            {
                if (k > 0 && entries[k].Index == entries[k - 1].Index)
                    throw new LVPruneException($"{entries[k].Where}: question {entries[k].Index} is answered twice (also {entries[k - 1].Where}): overlapping shards?");
                if (entries[k].Index != entries[0].Index + k)
                    throw new LVPruneException($"{entries[k].Where}: question {entries[k].Index} follows question {entries[k - 1].Index}: the questions between are missing (a shard not given, or not finished?)");
            }
            if (entries[0].Index != 0)
                throw new LVPruneException($"{entries[0].Where}: the merged answers start at question {entries[0].Index}; the first shard is missing");
        }
        try
        {
            AtomicFile.WriteAllText(outPath, string.Concat(entries.Select(e => e.Line + "\n")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"{outPath}: cannot write the merged answers: {e.Message}");
        }
        return new Result(entries.Count, byIndex);
    }
}
