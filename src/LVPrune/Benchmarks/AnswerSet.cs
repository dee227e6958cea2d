using System.Text.Json;

namespace LVPrune.Benchmarks;

/// <summary>One valid line of an answer file: its 1-based line number, the parsed object, its question id and text.</summary>
public sealed record AnswerLine(int Line, JsonElement Json, QuestionKey Id, string Text)
{
    /// <summary>The "prompt" field, or null when absent or not a string.</summary>
    public string? Prompt => JsonFiles.Get(Json, "prompt") is { ValueKind: JsonValueKind.String } p ? p.GetString() : null;
}

/// <summary>
/// An answer file (JSON lines, LLaVA's format) as the official converters read it: a line that is not
/// valid JSON is skipped and counted (with a warning naming it), and a later line for the same
/// question id replaces the earlier one in <see cref="Latest"/>. Every valid line must hold a
/// "question_id" and a string "text".
/// </summary>
public sealed class AnswerSet
{
    private AnswerSet(string path, List<AnswerLine> lines, Dictionary<QuestionKey, AnswerLine> latest, int errorLines)
    {
        Path = path;
        Lines = lines;
        Latest = latest;
        ErrorLines = errorLines;
    }

    public string Path { get; }
    /// <summary>Every valid line, in file order (duplicates included).</summary>
    public IReadOnlyList<AnswerLine> Lines { get; }
    /// <summary>The last line for each question id (<c>{x['question_id']: x for x in results}</c>).</summary>
    public IReadOnlyDictionary<QuestionKey, AnswerLine> Latest { get; }
    /// <summary>Lines that were not valid JSON (the converters' error_line).</summary>
    public int ErrorLines { get; }

    public static AnswerSet Read(string path, ICollection<string> warnings)
    {
        var lines = new List<AnswerLine>();
        var latest = new Dictionary<QuestionKey, AnswerLine>();
        int errors = 0;
        var text = JsonFiles.Lines(path, "answer file");
        for (int i = 0; i < text.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(text[i])) { if (i < text.Count - 1) errors++; continue; }
            if (JsonFiles.TryParseLine(text[i]) is not { ValueKind: JsonValueKind.Object } json)
            {
                errors++;
                warnings.Add($"{path} line {i + 1}: not a valid JSON object, skipped");
                continue;
            }
            string where = $"{path} line {i + 1}";
            var id = QuestionKey.From(JsonFiles.Require(json, "question_id", where))
                     ?? throw new LVPruneException($"{where}: \"question_id\" must be a string or a number");
            var line = new AnswerLine(i + 1, json, id, JsonFiles.RequireString(json, "text", where));
            lines.Add(line);
            latest[id] = line;
        }
        return new AnswerSet(path, lines, latest, errors);
    }

    /// <summary>Throws naming the first line whose question id <paramref name="known"/> rejects.</summary>
    public void RequireKnown(Func<QuestionKey, bool> known, string questionsWhat)
    {
        foreach (var line in Lines)
            if (!known(line.Id))
                throw new LVPruneException($"{Path} line {line.Line}: question_id {line.Id.Display} is not a question of {questionsWhat} (an answer file for other questions?)");
    }
}
