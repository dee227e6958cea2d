using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Generation;
using LVPrune.Pruning;
using LVPrune.Serving;

namespace LVPrune.Tests.Serving;

/// <summary>
/// Concurrent HTTP requests: batched and still equal to their solo answers; a client that disconnects
/// cancels its request (its row leaves the batch); a full queue answers 429 with Retry-After.
/// </summary>
public class ServerConcurrencyTests
{
    [Fact]
    public async Task ConcurrentRequests_AreBatched_AndEqualTheirSoloAnswers()
    {
        await using var h = await ServerHarness.StartAsync(new ChatEngineOptions { MaxBatch = 4 });
        // Six clients at once, mixed pruning and lengths (ignore_eos keeps rows decoding side by side).
        JsonObject?[] pruning = [null, ServerHarness.Pruning("lvpruning", 0.5), ServerHarness.Pruning("random", 0.6), null,
                                 ServerHarness.Pruning("lvpruning", 0.7), ServerHarness.Pruning("fastv", 0.3)];
        var bodies = Enumerable.Range(0, 6).Select(i =>
        {
            var lv = pruning[i]?.DeepClone().AsObject() ?? new JsonObject();
            lv["ignore_eos"] = true;
            var body = ServerHarness.Ask(ToyServing.Questions[i], lv);
            body["max_tokens"] = 6 + 3 * i;
            return body;
        }).ToList();
        var answers = await Task.WhenAll(bodies.Select(b => h.AnswerAsync(b)));

        // Solo references: the runtime alone, one prompt at a time, with the same pruning.
        using var pipeline = ToyServing.LoadPipeline();
        using var adapter = LVPruningAdapter.Load(ToyServing.AdapterPath, pipeline.Model);
        for (int i = 0; i < bodies.Count; i++)
        {
            var spec = pruning[i] is null ? new PruningSpec() : new PruningSpec
            {
                Method = PruningMethods.Parse(pruning[i]!["method"]!.GetValue<string>()),
                Keep = pruning[i]!["method"]!.GetValue<string>() == "fastv" ? null : KeepRatios.FromRho(pruning[i]!["rho"]!.GetValue<double>()),
                FastVShare = pruning[i]!["method"]!.GetValue<string>() == "fastv" ? pruning[i]!["rho"]!.GetValue<double>() : null,
            };
            var selector = SelectorFactory.Create(spec, pipeline.Model, adapter);
            var solo = ToyServing.Solo(pipeline, ToyServing.Questions[i], new GenerationOptions { MaxNewTokens = 6 + 3 * i, StopAtEos = false }, selector);
            (selector as IDisposable)?.Dispose();
            Assert.Equal(solo.Text, ServerHarness.Content(answers[i]).Trim());
            Assert.Equal(solo.Stages.Select(s => s.KeptImageTokens), ServerHarness.Kept(answers[i].GetProperty("lvprune")));
            Assert.Equal(6 + 3 * i, answers[i].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
        // Decode steps ran with more than one row.
        double steps = await h.MetricAsync("lvprune_decode_batch_size_count");
        double single = await h.MetricAsync("lvprune_decode_batch_size_bucket", "le=\"1\"");
        Assert.True(steps > single, $"{steps} decode steps, {single} of them with one row: nothing was batched");
        Assert.Equal(6, await h.MetricAsync("lvprune_requests_total", "outcome=\"ok\""));
    }

    /// <summary>A streaming request that decodes long (ignore_eos): reads its first event and returns the open response.</summary>
    private static async Task<(HttpResponseMessage Response, IAsyncEnumerator<string> Events)> OpenLongStreamAsync(ServerHarness h, int maxTokens, CancellationToken cancellation)
    {
        var body = ServerHarness.Ask(ToyServing.Questions[0], new JsonObject { ["ignore_eos"] = true }, stream: true);
        body["max_tokens"] = maxTokens;
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        var response = await h.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var events = ServerHarness.ReadEventsAsync(response, cancellation).GetAsyncEnumerator(cancellation);
        Assert.True(await events.MoveNextAsync());
        return (response, events);
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        for (int i = 0; i < 200; i++)
        {
            if (await condition()) return;
            await Task.Delay(25);
        }
        Assert.Fail($"timed out waiting until {what}");
    }

    [Fact]
    public async Task AClientThatDisconnects_CancelsItsRequest()
    {
        await using var h = await ServerHarness.StartAsync();
        using var abort = new CancellationTokenSource();
        var (response, events) = await OpenLongStreamAsync(h, 340, abort.Token);
        Assert.Equal(1, h.Server.Engine.ActiveRows);
        abort.Cancel();                     // the client goes away mid-answer
        response.Dispose();
        await Eventually(async () => h.Server.Engine.ActiveRows == 0 && await h.MetricAsync("lvprune_requests_total", "outcome=\"cancelled\"") == 1,
                         "the engine dropped the row");
        Assert.Equal(1, h.Server.Engine.CancelledCount);
        Assert.True(await h.MetricAsync("lvprune_completion_tokens_total") < 340, "the row stopped before its max_tokens");
        // The server goes on answering.
        Assert.Equal(ToyServing.Truths[1], ServerHarness.Content(await h.AnswerAsync(ServerHarness.Ask(ToyServing.Questions[1]))));
        await events.DisposeAsync();
    }

    [Fact]
    public async Task AFullQueue_Answers429_WithRetryAfter()
    {
        await using var h = await ServerHarness.StartAsync(new ChatEngineOptions { MaxBatch = 1, MaxQueue = 1 });
        using var abort = new CancellationTokenSource();
        var (response, events) = await OpenLongStreamAsync(h, 340, abort.Token);       // decoding: the one batch slot
        var waiting = h.AnswerAsync(ServerHarness.Ask(ToyServing.Questions[2]));          // queued: the one queue slot
        await Eventually(() => Task.FromResult(h.Server.Engine.QueueLength == 1), "the second request is queued");

        var (status, json, refused) = await h.PostAsync(ServerHarness.Ask(ToyServing.Questions[3]));
        Assert.Equal(429, status);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        Assert.Equal("rate_limit_error", json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("queue_full", json.GetProperty("error").GetProperty("code").GetString());

        abort.Cancel();
        response.Dispose();
        Assert.Equal(ToyServing.Truths[2], ServerHarness.Content(await waiting));   // the queued one is answered once the slot frees
        Assert.Equal(1, await h.MetricAsync("lvprune_requests_total", "outcome=\"queue_full\""));
        await events.DisposeAsync();
    }
}
