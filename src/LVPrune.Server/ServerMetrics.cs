using LVPrune.Serving;
using Prometheus;

namespace LVPrune.Server;

/// <summary>
/// What <c>GET /metrics</c> exports (Prometheus text format, prometheus-net), in a registry of this server's own
/// so that several servers in one process do not mix: requests by outcome (ok, cancelled, error from the
/// engine; invalid, unauthorized, not_found, too_large, queue_full from the HTTP layer), queue length and
/// active requests, prefill and decode batch sizes, time to first token by method, per-token latency,
/// image tokens kept (the share left after the last stage, by method) and token counts.
/// </summary>
public sealed class ServerMetrics : IServingObserver
{
    private readonly Counter _requests, _promptTokens, _completionTokens;
    private readonly Gauge _queue, _active;
    private readonly Histogram _prefillBatch, _decodeBatch, _ttft, _tokenLatency, _kept;

    public ServerMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        _requests = f.CreateCounter("lvprune_requests_total", "Chat completion requests by outcome.", "outcome");
        _promptTokens = f.CreateCounter("lvprune_prompt_tokens_total", "Prompt tokens of finished requests (image tokens before pruning included).");
        _completionTokens = f.CreateCounter("lvprune_completion_tokens_total", "Generated tokens of finished requests.");
        _queue = f.CreateGauge("lvprune_queue_length", "Requests waiting for a batch slot.");
        _active = f.CreateGauge("lvprune_active_requests", "Requests prefilling or decoding.");
        var sizes = Histogram.LinearBuckets(1, 1, 16);
        _prefillBatch = f.CreateHistogram("lvprune_prefill_batch_size", "Requests prefilled together.", new HistogramConfiguration { Buckets = sizes });
        _decodeBatch = f.CreateHistogram("lvprune_decode_batch_size", "Rows in a decode step.", new HistogramConfiguration { Buckets = sizes });
        _ttft = f.CreateHistogram("lvprune_ttft_seconds", "Time from queueing to the first token.",
                                  new HistogramConfiguration { LabelNames = ["method"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 16) });
        _tokenLatency = f.CreateHistogram("lvprune_token_latency_seconds", "Time of the decode step that produced each token after the first.",
                                          new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _kept = f.CreateHistogram("lvprune_image_tokens_kept_ratio", "Share of the image tokens left after the last pruning stage (1 without pruning).",
                                  new HistogramConfiguration { LabelNames = ["method"], Buckets = Histogram.LinearBuckets(0.05, 0.05, 20) });
        foreach (var outcome in new[] { "ok", "cancelled", "error", "invalid", "unauthorized", "not_found", "too_large", "queue_full" })
            _requests.WithLabels(outcome);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Counts a request the HTTP layer refused (invalid, unauthorized, not_found, too_large, queue_full).</summary>
    public void Refused(string outcome) => _requests.WithLabels(outcome).Inc();

    /// <summary>Reads the engine's live numbers right before each scrape.</summary>
    public void Watch(ChatEngine engine) => Registry.AddBeforeCollectCallback(() =>
    {
        _queue.Set(engine.QueueLength);
        _active.Set(engine.ActiveRows);
    });

    public void QueueLength(int waiting) => _queue.Set(waiting);
    public void PrefillBatch(int size) => _prefillBatch.Observe(size);
    public void DecodeBatch(int size) => _decodeBatch.Observe(size);
    public void Token(double seconds) => _tokenLatency.Observe(seconds);

    public void FirstToken(double ttftSeconds, string method, IReadOnlyList<StageKept> stages, int imageTokens)
    {
        _ttft.WithLabels(method).Observe(ttftSeconds);
        _kept.WithLabels(method).Observe(stages.Count == 0 ? 1.0 : (double)stages[^1].KeptImageTokens.Length / imageTokens);
    }

    public void Finished(string outcome, int promptTokens, int completionTokens)
    {
        _requests.WithLabels(outcome).Inc();
        _promptTokens.Inc(promptTokens);
        _completionTokens.Inc(completionTokens);
    }
}
