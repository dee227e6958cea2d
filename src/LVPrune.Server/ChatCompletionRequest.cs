using System.Text.Json;
using LVPrune.Serving;

namespace LVPrune.Server;

/// <summary>
/// A parsed <c>POST /v1/chat/completions</c> body as OpenAI defines it: model, messages (text and image_url
/// content parts; system, developer, user and assistant roles), max_tokens / max_completion_tokens,
/// temperature, top_p, seed, stop, stream and stream_options.include_usage, n (1 only), and the extra
/// <c>"lvprune"</c> object: method, rho, keep, seed, ignore_eos. Other fields are ignored, as OpenAI-compatible
/// servers do. A field of the wrong type is a 400 naming it.
/// </summary>
public sealed record ChatCompletionRequest(string? Model, IReadOnlyList<ChatTurn> Turns, ChatSettings Settings, bool Stream, bool IncludeUsage)
{
    public static async Task<ChatCompletionRequest> ParseAsync(JsonElement root, ImageUrlLoader images, CancellationToken cancellation)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the body must be a JSON object", null);
        string? model = OptionalString(root, "model");
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw Bad("messages is required: an array of {role, content}", "messages");
        if (Optional(root, "n") is { } n && (n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out int count) || count != 1))
            throw Bad("n: only one choice per request is supported", "n");
        if (Optional(root, "logprobs") is { ValueKind: JsonValueKind.True }) throw Bad("logprobs are not supported", "logprobs");
        if (Optional(root, "tools") is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0) throw Bad("tools are not supported", "tools");

        var turns = new List<ChatTurn>();
        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            turns.Add(await TurnAsync(message, $"messages[{index}]", images, cancellation));
            index++;
        }

        int? maxTokens = OptionalInt(root, "max_completion_tokens") ?? OptionalInt(root, "max_tokens");
        var stop = Optional(root, "stop") switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } s => [s.GetString()!],
            { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad("stop must be a string or an array of strings", $"stop[{i}]")).ToArray(),
            _ => throw Bad("stop must be a string or an array of strings", "stop"),
        };
        PruningRequest? pruning = null;
        bool ignoreEos = false;
        if (Optional(root, PruningRequest.FieldName) is { } extra)
        {
            const string F = PruningRequest.FieldName;
            if (extra.ValueKind != JsonValueKind.Object) throw Bad($"{F} must be an object: {{\"method\": \"none|lvpruning|random|fastv\", \"rho\": R}}", F);
            var keep = Optional(extra, "keep") switch
            {
                null => null,
                { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Bad($"{F}.keep must hold numbers", $"{F}.keep[{i}]")).ToArray(),
                _ => throw Bad($"{F}.keep must be an array of ratios", $"{F}.keep"),
            };
            pruning = new PruningRequest(OptionalString(extra, "method", F), OptionalDouble(extra, "rho", F), keep, OptionalLong(extra, "seed", F));
            ignoreEos = OptionalBool(extra, "ignore_eos", F) ?? false;
        }
        var settings = new ChatSettings
        {
            MaxTokens = maxTokens, Temperature = OptionalDouble(root, "temperature"), TopP = OptionalDouble(root, "top_p"),
            Seed = OptionalLong(root, "seed"), Stop = stop, Pruning = pruning, IgnoreEos = ignoreEos,
        };
        bool stream = OptionalBool(root, "stream") ?? false;
        bool includeUsage = Optional(root, "stream_options") is { ValueKind: JsonValueKind.Object } so && (OptionalBool(so, "include_usage", "stream_options") ?? false);
        return new ChatCompletionRequest(model, turns, settings, stream, includeUsage);
    }

    private static async Task<ChatTurn> TurnAsync(JsonElement message, string at, ImageUrlLoader images, CancellationToken cancellation)
    {
        if (message.ValueKind != JsonValueKind.Object) throw Bad($"{at} must be an object with role and content", at);
        string role = OptionalString(message, "role", at) ?? throw Bad($"{at}.role is required", $"{at}.role");
        var kind = role switch
        {
            "system" or "developer" => ChatTurnRole.System,
            "user" => ChatTurnRole.User,
            "assistant" => ChatTurnRole.Assistant,
            _ => throw Bad($"{at}.role '{role}' is not supported (system, developer, user, assistant)", $"{at}.role"),
        };
        var content = Optional(message, "content");
        switch (content)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                throw Bad($"{at}.content is required", $"{at}.content");
            case { ValueKind: JsonValueKind.String } s:
                return new ChatTurn(kind, s.GetString()!, at);
            case { ValueKind: JsonValueKind.Array } parts:
            {
                var texts = new List<string>();
                var pictures = new List<Images.RgbImage>();
                int i = 0;
                foreach (var part in parts.EnumerateArray())
                {
                    string p = $"{at}.content[{i++}]";
                    string type = part.ValueKind == JsonValueKind.Object ? OptionalString(part, "type", p) ?? throw Bad($"{p}.type is required", $"{p}.type")
                                                                         : throw Bad($"{p} must be an object with a type", p);
                    switch (type)
                    {
                        case "text":
                            texts.Add(OptionalString(part, "text", p) ?? throw Bad($"{p}.text is required", $"{p}.text"));
                            break;
                        case "image_url":
                            string url = Optional(part, "image_url") switch
                            {
                                { ValueKind: JsonValueKind.String } u => u.GetString()!,
                                { ValueKind: JsonValueKind.Object } o => OptionalString(o, "url", $"{p}.image_url") ?? throw Bad($"{p}.image_url.url is required", $"{p}.image_url.url"),
                                _ => throw Bad($"{p}.image_url must be {{\"url\": ...}}", $"{p}.image_url"),
                            };
                            pictures.Add(await images.LoadAsync(url, $"{p}.image_url", cancellation));
                            break;
                        default:
                            throw Bad($"{p}.type '{type}' is not supported (text, image_url)", $"{p}.type");
                    }
                }
                return new ChatTurn(kind, string.Join("\n", texts), pictures, at);
            }
            default:
                throw Bad($"{at}.content must be a string or an array of content parts", $"{at}.content");
        }
    }

    private static RequestException Bad(string message, string? param) => new(message, param, "invalid_request");

    private static JsonElement? Optional(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static string Name(string name, string? prefix) => prefix is null ? name : $"{prefix}.{name}";

    private static string? OptionalString(JsonElement o, string name, string? prefix = null) => Optional(o, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        _ => throw Bad($"{Name(name, prefix)} must be a string", Name(name, prefix)),
    };

    private static double? OptionalDouble(JsonElement o, string name, string? prefix = null) => Optional(o, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        _ => throw Bad($"{Name(name, prefix)} must be a number", Name(name, prefix)),
    };

    private static int? OptionalInt(JsonElement o, string name, string? prefix = null) => Optional(o, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out int i) => i,
        _ => throw Bad($"{Name(name, prefix)} must be an integer", Name(name, prefix)),
    };

    private static long? OptionalLong(JsonElement o, string name, string? prefix = null) => Optional(o, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt64(out long i) => i,
        _ => throw Bad($"{Name(name, prefix)} must be an integer", Name(name, prefix)),
    };

    private static bool? OptionalBool(JsonElement o, string name, string? prefix = null) => Optional(o, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Bad($"{Name(name, prefix)} must be true or false", Name(name, prefix)),
    };
}
