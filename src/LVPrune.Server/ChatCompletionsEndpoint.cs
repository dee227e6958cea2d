using System.Security.Cryptography;
using System.Text.Json;
using LVPrune.Serving;
using Microsoft.AspNetCore.Http;

namespace LVPrune.Server;

/// <summary>
/// <c>POST /v1/chat/completions</c>: parses and checks the body, queues the request on the engine, and answers
/// with one <c>chat.completion</c> or, with <c>"stream": true</c>, <c>chat.completion.chunk</c> events over
/// server-sent events ending in <c>data: [DONE]</c>. Bad input is answered in OpenAI's error shape (400, 404
/// for another model, 413 for an oversized body, 429 with Retry-After when the queue is full); a client that
/// goes away cancels its request, whose row then leaves the batch.
/// </summary>
public sealed class ChatCompletionsEndpoint(ChatEngine engine, ImageUrlLoader images, ServerMetrics metrics, ServerOptions options)
{
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 32 };

    public async Task HandleAsync(HttpContext context)
    {
        var abort = context.RequestAborted;
        ChatCompletionRequest request;
        ChatStream stream;
        try
        {
            using var document = await ReadJsonAsync(context.Request, abort);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("model", out var model)
                && model.ValueKind == JsonValueKind.String && model.GetString() != engine.Options.ModelId)
                throw new RequestException($"model '{model.GetString()}' does not exist here; this server serves '{engine.Options.ModelId}' (GET /v1/models)",
                                           "model", "model_not_found", 404);
            request = await ChatCompletionRequest.ParseAsync(document.RootElement, images, abort);
            var prepared = engine.Prepare(request.Turns, request.Settings);
            stream = engine.Submit(prepared, abort);
        }
        catch (RequestException e)
        {
            metrics.Refused(e.Status switch { 404 => "not_found", 413 => "too_large", 429 => "queue_full", _ => "invalid" });
            if (e.Status == 429) context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await OpenAiError.Of(e.Status, e.Message, e.Param, e.Code).WriteAsync(context.Response, e.Status, abort);
            return;
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return; // the client left while its images were fetched
        }

        var json = new ChatCompletionJson("chatcmpl-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
                                          DateTimeOffset.UtcNow.ToUnixTimeSeconds(), engine.Options.ModelId,
                                          engine.Pipeline.ImageMode == Images.ResizeMode.PadToSquare ? "pad" : "crop");
        try
        {
            if (request.Stream) await StreamAsync(context.Response, stream, json, request.IncludeUsage, abort);
            else
            {
                var (text, stats) = await stream.CompleteAsync(abort);
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(json.Completion(text, stats), abort);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested) { }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var (status, error) = Describe(e);
            await error.WriteAsync(context.Response, status, abort);
        }
    }

    /// <summary>The body as JSON: 413 past the size limit, 400 when it is not JSON.</summary>
    private static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, CancellationToken abort)
    {
        try
        {
            return await JsonDocument.ParseAsync(request.Body, JsonOptions, abort);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new RequestException($"the request body is larger than the limit of {request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes",
                                       null, "request_too_large", 413);
        }
        catch (JsonException e)
        {
            throw new RequestException($"the body is not valid JSON: {e.Message}", null, "invalid_json");
        }
    }

    private static async Task StreamAsync(HttpResponse response, ChatStream stream, ChatCompletionJson json, bool includeUsage, CancellationToken abort)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        async Task Send(string data)
        {
            await response.WriteAsync("data: " + data + "\n\n", abort);
            await response.Body.FlushAsync(abort);
        }
        try
        {
            await foreach (var e in stream.ReadAllAsync(abort))
            {
                switch (e)
                {
                    case ChatStarted s:
                        await Send(json.Chunk("assistant", "", null, s.Stats, includeUsage));
                        break;
                    case ChatDelta d:
                        await Send(json.Chunk(null, d.Text, null, null, includeUsage));
                        break;
                    case ChatFinished f:
                        await Send(json.Chunk(null, null, f.Stats.FinishReason, f.Stats, includeUsage));
                        if (includeUsage) await Send(json.UsageChunk(f.Stats));
                        break;
                }
            }
            await Send("[DONE]");
        }
        catch (Exception e) when (e is not OperationCanceledException || !abort.IsCancellationRequested)
        {
            if (!response.HasStarted) throw;
            await Send(Describe(e).Error.ToJson()); // the stream has begun: the error travels as an event
        }
    }

    /// <summary>Status and OpenAI-shaped error for a failure after the request was accepted.</summary>
    private static (int Status, OpenAiError Error) Describe(Exception e) => e switch
    {
        RequestException r => (r.Status, OpenAiError.Of(r.Status, r.Message, r.Param, r.Code)),
        ObjectDisposedException => (503, OpenAiError.Of(503, "the server is shutting down", null, "shutting_down")),
        _ => (500, OpenAiError.Of(500, e.Message, null, "internal_error")),
    };
}
