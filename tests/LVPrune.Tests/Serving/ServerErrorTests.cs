using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Images;
using LVPrune.Server;
using LVPrune.Serving;

namespace LVPrune.Tests.Serving;

/// <summary>
/// Bad requests get OpenAI-shaped errors with the status the issue lists, naming the field at fault, never a
/// stack trace; none of them disturbs the server, which answers correctly right after.
/// </summary>
public class ServerErrorTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private ServerHarness H => fixture.Harness;

    private static string Png(int width, int height) =>
        "data:image/png;base64," + Convert.ToBase64String(ImageIO.Encode(RgbImage.Filled(width, height, 10, 20, 30), SkiaSharp.SKEncodedImageFormat.Png));

    private static JsonObject Messages(params JsonObject[] messages) => new() { ["messages"] = new JsonArray(messages) };

    public static TheoryData<string, int, string, string?> Cases => new()
    {
        { "malformed-json", 400, "invalid_json", null },
        { "not-an-object", 400, "invalid_request", null },
        { "no-messages", 400, "invalid_request", "messages" },
        { "no-image", 400, "no_image", "messages" },
        { "two-images", 400, "too_many_images", "messages[2]" },
        { "undecodable-image", 400, "invalid_image", "messages[0].content[1].image_url" },
        { "not-base64", 400, "invalid_image", "messages[0].content[1].image_url" },
        { "gif-data-url", 400, "invalid_image_url", "messages[0].content[1].image_url" },
        { "too-many-pixels", 400, "invalid_image", "messages[0].content[1].image_url" },
        { "file-url", 400, "invalid_image_url", "messages[0].content[1].image_url" },
        { "unknown-method", 400, "invalid_pruning_method", "lvprune.method" },
        { "rho-too-large", 400, "invalid_rho", "lvprune.rho" },
        { "rho-zero", 400, "invalid_rho", "lvprune.rho" },
        { "keep-increasing", 400, "invalid_rho", "lvprune.keep" },
        { "rho-without-method", 400, "invalid_pruning_method", "lvprune.method" },
        { "temperature-string", 400, "invalid_request", "temperature" },
        { "temperature-high", 400, "invalid_value", "temperature" },
        { "max-tokens-zero", 400, "invalid_value", "max_tokens" },
        { "context-exceeded", 400, "context_length_exceeded", "max_tokens" },
        { "tool-role", 400, "invalid_request", "messages[0].role" },
        { "audio-part", 400, "invalid_request", "messages[0].content[1].type" },
        { "n-two", 400, "invalid_request", "n" },
        { "other-model", 404, "model_not_found", "model" },
        { "oversized-body", 413, "request_too_large", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequests_GetOpenAiShapedErrors(string kind, int status, string code, string? param)
    {
        string scene = ServerHarness.SceneDataUrl;
        JsonObject Ask(JsonObject? lvprune = null) => ServerHarness.Ask(ToyServing.Questions[0], lvprune);
        JsonObject WithImage(string url) => Messages(ServerHarness.UserMessage("What is it?", url));
        string body = kind switch
        {
            "malformed-json" => "{\"messages\": [",
            "not-an-object" => "[1, 2]",
            "no-messages" => "{\"model\": \"toy-llava\"}",
            "no-image" => Messages(ServerHarness.UserMessage("Hello?")).ToJsonString(),
            "two-images" => Messages(ServerHarness.UserMessage("a", scene), new JsonObject { ["role"] = "assistant", ["content"] = "b" },
                                     ServerHarness.UserMessage("c", scene)).ToJsonString(),
            "undecodable-image" => WithImage("data:image/png;base64," + Convert.ToBase64String("not an image at all"u8.ToArray())).ToJsonString(),
            "not-base64" => WithImage("data:image/png;base64,%%%notbase64%%%").ToJsonString(),
            "gif-data-url" => WithImage("data:image/gif;base64,R0lGODlhAQABAAAAACw=").ToJsonString(),
            "too-many-pixels" => WithImage(Png(1100, 1000)).ToJsonString(),
            "file-url" => WithImage("file:///etc/passwd").ToJsonString(),
            "unknown-method" => Ask(ServerHarness.Pruning("magic", 0.5)).ToJsonString(),
            "rho-too-large" => Ask(ServerHarness.Pruning("lvpruning", 1.5)).ToJsonString(),
            "rho-zero" => Ask(ServerHarness.Pruning("random", 0)).ToJsonString(),
            "keep-increasing" => Ask(new JsonObject { ["method"] = "lvpruning", ["keep"] = new JsonArray(0.2, 0.5, 0.1) }).ToJsonString(),
            "rho-without-method" => Ask(new JsonObject { ["rho"] = 0.5 }).ToJsonString(),
            "temperature-string" => With(Ask(), "temperature", "hot"),
            "temperature-high" => With(Ask(), "temperature", 3.5),
            "max-tokens-zero" => With(Ask(), "max_tokens", 0),
            "context-exceeded" => With(Ask(), "max_tokens", 100_000),
            "tool-role" => Messages(new JsonObject { ["role"] = "tool", ["content"] = "x" }).ToJsonString(),
            "audio-part" => Messages(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "hi" }, new JsonObject { ["type"] = "input_audio" }),
            }).ToJsonString(),
            "n-two" => With(Ask(), "n", 2),
            "other-model" => With(Ask(), "model", "gpt-4o"),
            _ => WithImage("data:image/png;base64," + new string('A', (int)ServerFixture.BodyLimit)).ToJsonString(),
        };

        var (actual, json, response) = await H.PostAsync(body);
        Assert.Equal(status, actual);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = json.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").ValueKind == JsonValueKind.Null ? null : error.GetProperty("param").GetString());
        Assert.Equal(status == 400 || status == 404 || status == 413 ? "invalid_request_error" : "?", error.GetProperty("type").GetString());
        string message = error.GetProperty("message").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain("\n", message);
        Assert.DoesNotContain(" at LVPrune.", message);

        // The server is unharmed: the next request is answered, and correctly.
        var ok = await H.AnswerAsync(ServerHarness.Ask(ToyServing.Questions[2]));
        Assert.Equal(ToyServing.Truths[2], ServerHarness.Content(ok));
    }

    private static string With(JsonObject body, string field, JsonNode? value)
    {
        body[field] = value;
        return body.ToJsonString();
    }

    [Fact]
    public async Task ImageFetches_AreLimitedInBytesAndTime()
    {
        await using var images = await ImageHost.StartAsync([1, 2, 3]);
        await using var harness = await ServerHarness.StartAsync(new ChatEngineOptions { MaxImageBytes = 256 * 1024 },
                                                                 new ServerOptions { ImageFetchTimeout = TimeSpan.FromSeconds(1) });
        foreach (var (path, code) in new[] { ("endless.png", "image_too_large"), ("slow.png", "image_fetch_failed") })
        {
            var (status, json, _) = await harness.PostAsync(Messages(ServerHarness.UserMessage("?", images.Url(path))));
            Assert.Equal(400, status);
            Assert.Equal(code, json.GetProperty("error").GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task ApiKey_IsRequiredOnV1_WhenSet()
    {
        await using var harness = await ServerHarness.StartAsync(server: new ServerOptions { ApiKey = "sesame" });
        var (status, json, _) = await harness.PostAsync(ServerHarness.Ask(ToyServing.Questions[0]));
        Assert.Equal(401, status);
        Assert.Equal("authentication_error", json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await harness.Http.GetAsync("v1/models")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await harness.Http.GetAsync("health")).StatusCode);
        harness.UseApiKey("wrong");
        Assert.Equal(401, (await harness.PostAsync(ServerHarness.Ask(ToyServing.Questions[0]))).Status);
        harness.UseApiKey("sesame");
        Assert.Equal(ToyServing.Truths[0], ServerHarness.Content(await harness.AnswerAsync(ServerHarness.Ask(ToyServing.Questions[0]))));
        Assert.Equal(3, await harness.MetricAsync("lvprune_requests_total", "outcome=\"unauthorized\"")); // two posts and one GET
    }
}
