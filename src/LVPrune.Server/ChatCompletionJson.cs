using System.Text.Json.Nodes;
using LVPrune.Serving;

namespace LVPrune.Server;

/// <summary>
/// The response bodies of <c>POST /v1/chat/completions</c> as OpenAI writes them (<c>chat.completion</c>, and
/// <c>chat.completion.chunk</c> events when streaming), each carrying the extra <c>"lvprune"</c> object:
/// method and ratios, the image tokens kept after each stage (<c>stages[].kept_image_tokens</c>, row-major
/// indices on the <c>grid</c> x <c>grid</c> patches of the image as the model saw it, <c>image_mode</c> pad or
/// crop), time to first token and the other timings in seconds, and the analytic prefill TFLOPs.
/// </summary>
public sealed class ChatCompletionJson(string id, long created, string model, string imageMode)
{
    public string Id => id;

    public JsonObject LVPrune(ChatStats s)
    {
        var o = new JsonObject
        {
            ["method"] = s.Method,
            ["rho"] = s.Rho,
            ["keep"] = s.Keep is null ? null : new JsonArray(s.Keep.Select(k => (JsonNode?)k).ToArray()),
            ["image_tokens"] = s.ImageTokens,
            ["grid"] = s.Grid,
            ["image_mode"] = imageMode,
            ["stages"] = new JsonArray(s.Stages.Select(st => (JsonNode?)new JsonObject
            {
                ["after_layer"] = st.AfterLayer,
                ["kept"] = st.KeptImageTokens.Length,
                ["kept_image_tokens"] = new JsonArray(st.KeptImageTokens.Select(i => (JsonNode?)i).ToArray()),
            }).ToArray()),
            ["ttft_s"] = s.TtftSeconds,
            ["queue_s"] = s.QueueSeconds,
            ["prefill_s"] = s.PrefillSeconds,
            ["prefill_tflops"] = s.PrefillTflops,
            ["prefill_batch"] = s.PrefillBatch,
        };
        if (s.FinishReason is not null) o["decode_s"] = s.DecodeSeconds;
        return o;
    }

    private static JsonObject Usage(ChatStats s) => new()
    {
        ["prompt_tokens"] = s.PromptTokens,
        ["completion_tokens"] = s.CompletionTokens,
        ["total_tokens"] = s.PromptTokens + s.CompletionTokens,
    };

    private JsonObject Envelope(string kind) => new()
    {
        ["id"] = id,
        ["object"] = kind,
        ["created"] = created,
        ["model"] = model,
        ["system_fingerprint"] = null,
    };

    /// <summary>The whole answer (non-streaming).</summary>
    public string Completion(string text, ChatStats stats)
    {
        var o = Envelope("chat.completion");
        o["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text, ["refusal"] = null },
            ["logprobs"] = null,
            ["finish_reason"] = stats.FinishReason,
        });
        o["usage"] = Usage(stats);
        o["lvprune"] = LVPrune(stats);
        return o.ToJsonString();
    }

    /// <summary>One streamed event: a delta (role and/or content), a finish reason, and the lvprune object when known.</summary>
    public string Chunk(string? role, string? content, string? finishReason, ChatStats? stats, bool usageField)
    {
        var delta = new JsonObject();
        if (role is not null) delta["role"] = role;
        if (content is not null) delta["content"] = content;
        var o = Envelope("chat.completion.chunk");
        o["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = delta,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        });
        if (usageField) o["usage"] = null;
        if (stats is not null) o["lvprune"] = LVPrune(stats);
        return o.ToJsonString();
    }

    /// <summary>The last event with stream_options.include_usage: no choices, the usage.</summary>
    public string UsageChunk(ChatStats stats)
    {
        var o = Envelope("chat.completion.chunk");
        o["choices"] = new JsonArray();
        o["usage"] = Usage(stats);
        return o.ToJsonString();
    }
}
