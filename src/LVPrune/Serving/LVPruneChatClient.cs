using System.Runtime.CompilerServices;
using System.Text.Json;
using LVPrune.Checkpoints;
using LVPrune.Generation;
using LVPrune.Models;
using LVPrune.Images;
using Microsoft.Extensions.AI;
using static TorchSharp.torch;

namespace LVPrune.Serving;

/// <summary>
/// LLaVA with LVPruning as a Microsoft.Extensions.AI <see cref="IChatClient"/>, in-process, over a
/// <see cref="ChatEngine"/> (so concurrent calls batch exactly as the server's requests do):
/// <list type="bullet">
/// <item>messages: text (<see cref="TextContent"/>) and one image as <see cref="DataContent"/> (image/png, jpeg, webp);</item>
/// <item><see cref="ChatOptions"/>: MaxOutputTokens, Temperature (0 or unset = greedy), TopP, Seed, StopSequences;</item>
/// <item>pruning: <c>AdditionalProperties["lvprune"]</c>, a <see cref="PruningRequest"/> or an object with method,
/// rho, keep, seed (and ignore_eos), as in the server's request field;</item>
/// <item>the response carries the <see cref="ChatStats"/> (kept patches, TTFT, TFLOPs) as
/// <c>AdditionalProperties["lvprune"]</c>, and OpenAI-style usage.</item>
/// </list>
/// Bad input throws <see cref="RequestException"/>.
/// </summary>
public sealed class LVPruneChatClient : IChatClient
{
    private readonly bool _ownsEngine;

    public LVPruneChatClient(ChatEngine engine, bool ownsEngine = false)
    {
        Engine = engine;
        _ownsEngine = ownsEngine;
        Metadata = new ChatClientMetadata("lvprune", null, engine.Options.ModelId);
    }

    /// <summary>A client over a model folder, with its own engine (disposed with the client).</summary>
    public static LVPruneChatClient Load(string modelDir, ChatEngineOptions? options = null, ScalarType dtype = ScalarType.Float32)
    {
        var pipeline = new LlavaPipeline(ModelLoader.Load(modelDir, dtype), modelDir);
        try
        {
            options ??= new ChatEngineOptions { ModelId = ChatEngineOptions.ModelIdOf(modelDir) };
            return new LVPruneChatClient(new ChatEngine(pipeline, options, ownsPipeline: true), ownsEngine: true);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }

    public ChatEngine Engine { get; }
    public ChatClientMetadata Metadata { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var stream = Submit(messages, options, cancellationToken);
        var (text, stats) = await stream.CompleteAsync(cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = Engine.Options.ModelId,
            FinishReason = Finish(stats.FinishReason),
            Usage = Usage(stats),
            CreatedAt = DateTimeOffset.UtcNow,
            AdditionalProperties = new AdditionalPropertiesDictionary { [PruningRequest.FieldName] = stats },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
                                                                                [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = Submit(messages, options, cancellationToken);
        string id = Guid.NewGuid().ToString("N");
        await foreach (var e in stream.ReadAllAsync(cancellationToken))
        {
            var update = e switch
            {
                ChatStarted s => new ChatResponseUpdate(ChatRole.Assistant, "") { AdditionalProperties = new() { [PruningRequest.FieldName] = s.Stats } },
                ChatDelta d => new ChatResponseUpdate(ChatRole.Assistant, d.Text),
                ChatFinished f => new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(f.Stats))])
                {
                    FinishReason = Finish(f.Stats.FinishReason),
                    AdditionalProperties = new() { [PruningRequest.FieldName] = f.Stats },
                },
                _ => null,
            };
            if (update is null) continue;
            update.ResponseId = id;
            update.MessageId = id;
            update.ModelId = Engine.Options.ModelId;
            yield return update;
        }
    }

    private ChatStream Submit(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellation)
    {
        var turns = messages.Select(Turn).ToList();
        var settings = new ChatSettings
        {
            MaxTokens = options?.MaxOutputTokens,
            Temperature = options?.Temperature,
            TopP = options?.TopP,
            Seed = options?.Seed,
            Stop = options?.StopSequences?.ToArray(),
            Pruning = Pruning(options?.AdditionalProperties, out bool ignoreEos),
            IgnoreEos = ignoreEos,
        };
        return Engine.Submit(Engine.Prepare(turns, settings), cancellation);
    }

    private ChatTurn Turn(ChatMessage message, int index)
    {
        string at = $"messages[{index}]";
        var role = message.Role == ChatRole.User ? ChatTurnRole.User
            : message.Role == ChatRole.Assistant ? ChatTurnRole.Assistant
            : message.Role == ChatRole.System ? ChatTurnRole.System
            : throw new RequestException($"{at}: role '{message.Role}' is not supported (system, user, assistant)", at, "invalid_messages");
        var images = new List<RgbImage>();
        var texts = new List<string>();
        int part = 0;
        foreach (var content in message.Contents)
        {
            string p = $"{at}.contents[{part++}]";
            switch (content)
            {
                case TextContent t:
                    texts.Add(t.Text);
                    break;
                case DataContent d when d.HasTopLevelMediaType("image"):
                    images.Add(Engine.DecodeImage(d.Data.ToArray(), p));
                    break;
                case UsageContent:
                    break;
                default:
                    throw new RequestException($"{p}: {content.GetType().Name} is not supported (text, and images as DataContent)", p, "invalid_messages");
            }
        }
        return new ChatTurn(role, string.Join("\n", texts), images, at);
    }

    /// <summary>AdditionalProperties["lvprune"]: a PruningRequest, a dictionary or a JSON object with method, rho, keep, seed, ignore_eos.</summary>
    private static PruningRequest? Pruning(AdditionalPropertiesDictionary? properties, out bool ignoreEos)
    {
        ignoreEos = false;
        if (properties is null || !properties.TryGetValue(PruningRequest.FieldName, out var value) || value is null) return null;
        if (value is PruningRequest request) return request;
        var element = value is JsonElement j ? j : JsonSerializer.SerializeToElement(value);
        const string F = PruningRequest.FieldName;
        if (element.ValueKind != JsonValueKind.Object) throw new RequestException($"AdditionalProperties[\"{F}\"] must be an object with method and rho", F, "invalid_request");
        JsonElement? Get(string name) => element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
        try
        {
            ignoreEos = Get("ignore_eos")?.GetBoolean() ?? false;
            return new PruningRequest(Get("method")?.GetString(), Get("rho")?.GetDouble(),
                                      Get("keep")?.EnumerateArray().Select(e => e.GetDouble()).ToArray(), Get("seed")?.GetInt64());
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new RequestException($"AdditionalProperties[\"{F}\"]: {e.Message}", F, "invalid_request");
        }
    }

    private static ChatFinishReason? Finish(string? reason) => reason switch
    {
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        _ => null,
    };

    private static UsageDetails Usage(ChatStats s) => new()
    {
        InputTokenCount = s.PromptTokens, OutputTokenCount = s.CompletionTokens, TotalTokenCount = s.PromptTokens + s.CompletionTokens,
    };

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(ChatEngine) ? Engine
        : null;

    public void Dispose()
    {
        if (_ownsEngine) Engine.Dispose();
    }
}
