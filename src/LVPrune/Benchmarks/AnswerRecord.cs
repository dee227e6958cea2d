using System.Security.Cryptography;
using System.Text.Json.Nodes;
using LVPrune.Py;

namespace LVPrune.Benchmarks;

/// <summary>
/// What a run records in every answer line's "metadata": the pruning method, the keep ratios asked
/// for (null for none; FastV: its one share), the image tokens each pruning stage kept for this
/// question, the time to first token of the batch it was answered in, and the question's position in
/// the whole question file (which `eval merge` orders shards by).
/// </summary>
public sealed record AnswerMetadata(string Method, IReadOnlyList<double>? KeepRatios, IReadOnlyList<int> KeptTokens, double TtftSeconds, int QuestionIndex)
{
    public JsonObject ToJson() => new()
    {
        ["method"] = Method,
        ["keep_ratios"] = KeepRatios is null ? null : new JsonArray(KeepRatios.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
        ["kept_tokens"] = new JsonArray(KeptTokens.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
        ["ttft_s"] = Math.Round(TtftSeconds, 6),
        ["question_index"] = QuestionIndex,
    };
}

/// <summary>
/// One line of an answer file in LLaVA's format, written as Python's json.dumps writes it, so LLaVA's
/// converters and scorers read it unchanged: {"question_id", "prompt", "text", "answer_id",
/// "model_id", "metadata"} (model_vqa_loader.py / model_vqa.py / model_vqa_science.py), or for MMBench
/// {"question_id", "round_id", "prompt", "text", "options", "option_char", "answer_id", "model_id",
/// "metadata"} (model_vqa_mmbench.py).
/// </summary>
public static class AnswerRecord
{
    // shortuuid's alphabet: digits and letters without 0, 1, I, O, l.
    private const string ShortUuidAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    public static string Line(BenchmarkQuestion question, string text, string modelId, AnswerMetadata metadata)
    {
        var o = new JsonObject { ["question_id"] = question.Id.Json?.DeepClone() };
        if (question.Mmbench is { } row) o["round_id"] = 0;
        o["prompt"] = question.Prompt;
        o["text"] = text;
        if (question.Mmbench is { } r)
        {
            o["options"] = new JsonArray(r.PromptOptions.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
            o["option_char"] = new JsonArray(r.PromptOptions.Select((_, k) => (JsonNode?)JsonValue.Create(((char)('A' + k)).ToString())).ToArray());
        }
        o["answer_id"] = NewAnswerId();
        o["model_id"] = modelId;
        o["metadata"] = metadata.ToJson();
        return PyJson.Dumps(o);
    }

    /// <summary>A fresh 22-character id like shortuuid.uuid(), which LLaVA's scripts write.</summary>
    public static string NewAnswerId()
    {
        Span<char> id = stackalloc char[22];
        for (int i = 0; i < id.Length; i++) id[i] = ShortUuidAlphabet[RandomNumberGenerator.GetInt32(ShortUuidAlphabet.Length)];
        return new string(id);
    }

    /// <summary>LLaVA's get_model_name_from_path: the folder name, or "parent_checkpoint-N" for a checkpoint folder.</summary>
    public static string ModelId(string modelDir)
    {
        var parts = Path.GetFullPath(modelDir).TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        return parts[^1].StartsWith("checkpoint-", StringComparison.Ordinal) && parts.Length > 1 ? parts[^2] + "_" + parts[^1] : parts[^1];
    }
}
