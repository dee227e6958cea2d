namespace LVPrune.Serving;

/// <summary>
/// Per-request decoding settings, each absent to take the engine's default: OpenAI's max_tokens,
/// temperature (0 = greedy, the default), top_p, seed and stop, the pruning (<see cref="PruningRequest"/>),
/// and <see cref="IgnoreEos"/> to generate exactly max_tokens (for benchmarks, as vLLM's ignore_eos).
/// </summary>
public sealed record ChatSettings
{
    public int? MaxTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public long? Seed { get; init; }
    public IReadOnlyList<string>? Stop { get; init; }
    public PruningRequest? Pruning { get; init; }
    public bool IgnoreEos { get; init; }
}
