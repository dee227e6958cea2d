using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Images;
using LVPrune.Pruning;
using LVPrune.Server;
using LVPrune.Serving;

namespace LVPrune.Tests.Serving;

/// <summary>
/// A real <c>lvprune serve</c> (LVPruneServer over the bundled toy model) on a free loopback port, and an
/// HttpClient that talks to it over real HTTP, with helpers for request bodies, server-sent events and /metrics.
/// </summary>
public sealed class ServerHarness : IAsyncDisposable
{
    private ServerHarness(LVPruneServer server)
    {
        Server = server;
        // A response disposed before its end closes the connection at once, as a client that goes away does: by
        // default SocketsHttpHandler drains up to 1 MB for up to 2 s to reuse the connection, and a short answer
        // then completes unnoticed (the disconnect test raced the toy model's decode speed).
        Http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public LVPruneServer Server { get; }
    public HttpClient Http { get; }
    public Uri Address => Server.Address;

    public static async Task<ServerHarness> StartAsync(ChatEngineOptions? engine = null, ServerOptions? server = null)
    {
        var engineOptions = (engine ?? new ChatEngineOptions()) with { ModelId = "toy-llava", AdapterPath = ToyServing.AdapterPath };
        var serverOptions = (server ?? new ServerOptions()) with { Host = "127.0.0.1", Port = 0 };
        return new ServerHarness(await LVPruneServer.StartAsync(ToyServing.LoadPipeline(), engineOptions, serverOptions));
    }

    private static readonly Lazy<string> _scenePng = new(() => Convert.ToBase64String(ImageIO.Encode(ToyServing.Scene, SkiaSharp.SKEncodedImageFormat.Png)));
    public static string SceneDataUrl => "data:image/png;base64," + _scenePng.Value;

    /// <summary>A user message with text and an image_url part.</summary>
    public static JsonObject UserMessage(string text, string? imageUrl = null) => new()
    {
        ["role"] = "user",
        ["content"] = imageUrl is null ? text : new JsonArray(
            new JsonObject { ["type"] = "text", ["text"] = text },
            new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = imageUrl } }),
    };

    /// <summary>A request about the demo scene.</summary>
    public static JsonObject Ask(string question, JsonObject? lvprune = null, bool stream = false)
    {
        var body = new JsonObject { ["model"] = "toy-llava", ["messages"] = new JsonArray(UserMessage(question, SceneDataUrl)) };
        if (lvprune is not null) body["lvprune"] = lvprune.DeepClone();
        if (stream) body["stream"] = true;
        return body;
    }

    public static JsonObject Pruning(string method, double? rho = null) => new() { ["method"] = method, ["rho"] = rho };

    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string json, CancellationToken cancellation = default)
    {
        var response = await Http.PostAsync("v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"), cancellation);
        string text = await response.Content.ReadAsStringAsync(cancellation);
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    public Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(JsonObject body, CancellationToken cancellation = default) =>
        PostAsync(body.ToJsonString(), cancellation);

    /// <summary>The answer of a non-streaming request that must succeed.</summary>
    public async Task<JsonElement> AnswerAsync(JsonObject body)
    {
        var (status, json, _) = await PostAsync(body);
        Assert.True(status == 200, $"status {status}: {json}");
        return json;
    }

    public static string Content(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    public static int[][] Kept(JsonElement lvprune) =>
        lvprune.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("kept_image_tokens").EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray();

    /// <summary>Posts a streaming request and reads every <c>data:</c> payload until the stream ends.</summary>
    public async Task<(HttpResponseMessage Response, List<string> Events)> StreamAsync(JsonObject body, CancellationToken cancellation = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        var events = new List<string>();
        await foreach (var data in ReadEventsAsync(response, cancellation)) events.Add(data);
        return (response, events);
    }

    public static async IAsyncEnumerable<string> ReadEventsAsync(HttpResponseMessage response, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));
        string? line;
        while ((line = await reader.ReadLineAsync(cancellation)) is not null)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) yield return line[6..];
    }

    /// <summary>A sample's value from GET /metrics (0 when absent), e.g. ("lvprune_requests_total", "outcome=\"cancelled\"").</summary>
    public async Task<double> MetricAsync(string name, string? labels = null)
    {
        string text = await Http.GetStringAsync("metrics");
        string prefix = labels is null ? name + " " : name + "{" + labels + "} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..].Trim(), CultureInfo.InvariantCulture);
    }

    public void UseApiKey(string key) => Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
