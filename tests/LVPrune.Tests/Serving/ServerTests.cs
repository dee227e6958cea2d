using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Images;
using LVPrune.Tests.Cli;
using LVPrune.Text;

namespace LVPrune.Tests.Serving;

/// <summary>
/// `lvprune serve` over real HTTP on loopback: answers equal `lvprune generate` (non-streaming and streamed),
/// per-request pruning keeps what the CLI keeps, multi-turn conversations go through the template, images
/// come from data: and http URLs, and the read-only endpoints answer.
/// </summary>
public class ServerTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private ServerHarness H => fixture.Harness;

    private static readonly Lazy<string> ScenePath = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"lvprune-serve-scene-{Environment.ProcessId}.png");
        ImageIO.SavePng(ToyServing.Scene, path);
        return path;
    });

    /// <summary>`lvprune generate --json` on the scene, in-process.</summary>
    private static JsonElement Generate(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(["generate", "--image", ScenePath.Value, "--json", .. args]);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    [Theory]
    [InlineData(0, null, null)]
    [InlineData(2, "lvpruning", 0.5)]
    [InlineData(3, "lvpruning", 0.7)]
    [InlineData(5, "random", 0.6)]
    [InlineData(1, "fastv", 0.25)]
    public async Task NonStreamingAnswers_EqualGenerate_WithTheSamePruning(int question, string? method, double? rho)
    {
        string q = ToyServing.Questions[question];
        string[] pruning = method switch
        {
            null => [],
            "lvpruning" => ["--adapter", ToyServing.AdapterPath, "--rho", $"{rho}"],
            "random" => ["--method", "random", "--adapter", ToyServing.AdapterPath, "--rho", $"{rho}"],
            _ => ["--method", "fastv", "--fastv-keep", $"{rho}"],
        };
        var cli = Generate(["--question", q, .. pruning]);
        var answer = await H.AnswerAsync(ServerHarness.Ask(q, method is null ? null : ServerHarness.Pruning(method, rho)));

        Assert.Equal(cli.GetProperty("text").GetString(), ServerHarness.Content(answer));
        Assert.Equal(ToyServing.Truths[question], ServerHarness.Content(answer));
        Assert.Equal("chat.completion", answer.GetProperty("object").GetString());
        Assert.Equal("toy-llava", answer.GetProperty("model").GetString());
        Assert.Equal("stop", answer.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = answer.GetProperty("usage");
        Assert.Equal(cli.GetProperty("prompt_tokens").GetInt32() - 1 + 144, usage.GetProperty("prompt_tokens").GetInt32()); // <image> counted as its 144 tokens
        Assert.Equal(cli.GetProperty("tokens").GetArrayLength(), usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());

        var lv = answer.GetProperty("lvprune");
        Assert.Equal(method ?? "none", lv.GetProperty("method").GetString());
        var cliKept = cli.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("kept_image_tokens").EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray();
        Assert.Equal(cliKept, ServerHarness.Kept(lv));
        Assert.Equal(cli.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("after_layer").GetInt32()),
                     lv.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("after_layer").GetInt32()));
        Assert.Equal(cli.GetProperty("tflops").GetDouble(), lv.GetProperty("prefill_tflops").GetDouble(), 12);
        Assert.Equal(12, lv.GetProperty("grid").GetInt32());
        Assert.True(lv.GetProperty("ttft_s").GetDouble() > 0);
    }

    [Fact]
    public async Task PerRequestPruning_KeepsTheBudgetAsked_AndCostsLess()
    {
        string q = ToyServing.Questions[0];
        async Task<JsonElement> Lv(JsonObject? p) => (await H.AnswerAsync(ServerHarness.Ask(q, p))).GetProperty("lvprune");
        var none = await Lv(null);
        var rho5 = await Lv(ServerHarness.Pruning("lvpruning", 0.5));
        var rho7 = await Lv(ServerHarness.Pruning("lvpruning", 0.7));
        var keep = await Lv(new JsonObject { ["method"] = "lvpruning", ["keep"] = new JsonArray(0.9, 0.5, 0.2) });
        var fastv = await Lv(ServerHarness.Pruning("fastv", 0.25));
        Assert.Empty(ServerHarness.Kept(none));
        Assert.Equal([72, 43, 14], ServerHarness.Kept(rho5).Select(k => k.Length));   // floor(144 x [0.5, 0.3, 0.1])
        Assert.Equal([100, 72, 43], ServerHarness.Kept(rho7).Select(k => k.Length));
        Assert.Equal([129, 72, 28], ServerHarness.Kept(keep).Select(k => k.Length));
        Assert.Equal([36], ServerHarness.Kept(fastv).Select(k => k.Length));
        foreach (var lv in new[] { rho5, rho7, keep })
        {
            var stages = ServerHarness.Kept(lv);
            for (int s = 1; s < stages.Length; s++) Assert.Subset(stages[s - 1].ToHashSet(), stages[s].ToHashSet()); // a pruned token stays pruned
        }
        double Tflops(JsonElement lv) => lv.GetProperty("prefill_tflops").GetDouble();
        Assert.True(Tflops(rho5) < Tflops(rho7) && Tflops(rho7) < Tflops(none), $"{Tflops(rho5)} {Tflops(rho7)} {Tflops(none)}");
        Assert.Equal([0.5, 0.3, 0.1], rho5.GetProperty("keep").EnumerateArray().Select(k => Math.Round(k.GetDouble(), 10)));
    }

    [Fact]
    public async Task Streaming_SendsChunksThenDone_AndEqualsTheWholeAnswer()
    {
        string q = ToyServing.Questions[4];
        var pruning = ServerHarness.Pruning("lvpruning", 0.5);
        var whole = await H.AnswerAsync(ServerHarness.Ask(q, pruning));
        Assert.Equal(Generate("--question", q, "--adapter", ToyServing.AdapterPath, "--rho", "0.5").GetProperty("text").GetString(), ServerHarness.Content(whole));
        var body = ServerHarness.Ask(q, pruning, stream: true);
        body["stream_options"] = new JsonObject { ["include_usage"] = true };
        var (response, events) = await H.StreamAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        var withChoices = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).ToList();
        Assert.Equal("assistant", withChoices[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        string text = string.Concat(withChoices.Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.Equal(ServerHarness.Content(whole), text);
        var last = withChoices[^1];
        Assert.Equal("stop", last.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(ServerHarness.Kept(whole.GetProperty("lvprune")), ServerHarness.Kept(last.GetProperty("lvprune")));
        Assert.Equal(ServerHarness.Kept(whole.GetProperty("lvprune")), ServerHarness.Kept(withChoices[0].GetProperty("lvprune"))); // known from the first chunk on
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(whole.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task LongerAnswers_StreamTokenByToken_AndStopSequencesCut()
    {
        // ignore_eos makes the toy model talk on; a stop sequence then ends the answer where it appears.
        var body = ServerHarness.Ask(ToyServing.Questions[1], new JsonObject { ["ignore_eos"] = true });
        body["max_tokens"] = 7;
        var whole = ServerHarness.Content(await H.AnswerAsync(body));
        Assert.Equal("length", (await H.AnswerAsync(body)).GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var words = whole.Split(' ');
        Assert.True(words.Length >= 3, whole);
        body["stream"] = true;
        var (_, events) = await H.StreamAsync(body);
        var deltas = events[..^1].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("delta"))
                                 .Where(d => d.TryGetProperty("content", out var c) && c.GetString()!.Length > 0).ToList();
        Assert.True(deltas.Count >= 3, "tokens arrive one event each");
        Assert.Equal(whole, string.Concat(deltas.Select(d => d.GetProperty("content").GetString())));

        body.Remove("stream");
        body["stop"] = " " + words[2];
        var cut = await H.AnswerAsync(body);
        Assert.Equal(words[0] + " " + words[1], ServerHarness.Content(cut));
        Assert.Equal("stop", cut.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task MultiTurn_GoesThroughTheTemplate_AsGenerateWithTheFullPrompt()
    {
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(
                ServerHarness.UserMessage(ToyServing.Questions[0], ServerHarness.SceneDataUrl),
                new JsonObject { ["role"] = "assistant", ["content"] = ToyServing.Truths[0] },
                ServerHarness.UserMessage(ToyServing.Questions[5])),
        };
        var answer = await H.AnswerAsync(body);
        string prompt = Prompts.Format(PromptTemplate.LlavaHf, ToyServing.Questions[5], [("<image>\n" + ToyServing.Questions[0], ToyServing.Truths[0])]);
        var cli = Generate("--prompt", prompt);
        Assert.Equal(cli.GetProperty("text").GetString(), ServerHarness.Content(answer));
        Assert.Equal(ToyServing.Truths[5], ServerHarness.Content(answer));
    }

    [Fact]
    public async Task HttpImageUrls_AreFetched_WithinTheirLimits()
    {
        byte[] png = ImageIO.Encode(ToyServing.Scene, SkiaSharp.SKEncodedImageFormat.Png);
        await using var images = await ImageHost.StartAsync(png);
        var ok = await H.AnswerAsync(new JsonObject { ["messages"] = new JsonArray(ServerHarness.UserMessage(ToyServing.Questions[3], images.Url("scene.png"))) });
        Assert.Equal(ToyServing.Truths[3], ServerHarness.Content(ok));

        var (status, error, _) = await H.PostAsync(new JsonObject { ["messages"] = new JsonArray(ServerHarness.UserMessage("?", images.Url("missing.png"))) });
        Assert.Equal(400, status);
        Assert.Equal("image_fetch_failed", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("messages[0].content[1].image_url", error.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task ModelsHealthAndPage_Answer()
    {
        var models = JsonDocument.Parse(await H.Http.GetStringAsync("v1/models")).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        Assert.Equal("toy-llava", models.GetProperty("data")[0].GetProperty("id").GetString());
        var health = JsonDocument.Parse(await H.Http.GetStringAsync("health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.True(health.GetProperty("lvpruning").GetBoolean());
        var page = await H.Http.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/v1/chat/completions", await page.Content.ReadAsStringAsync());
        string metrics = await H.Http.GetStringAsync("metrics");
        foreach (var name in new[] { "lvprune_requests_total", "lvprune_queue_length", "lvprune_prefill_batch_size", "lvprune_decode_batch_size",
                                     "lvprune_ttft_seconds", "lvprune_token_latency_seconds", "lvprune_image_tokens_kept_ratio" })
            Assert.Contains("# TYPE " + name, metrics);
    }
}
