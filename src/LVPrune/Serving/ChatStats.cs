namespace LVPrune.Serving;

/// <summary>The image tokens a pruning stage left (indices into the image block, row-major over the patch grid).</summary>
public sealed record StageKept(int AfterLayer, int[] KeptImageTokens);

/// <summary>
/// What serving one request took and decided: the pruning applied (method, ratios, the image tokens kept
/// after each stage), token counts as OpenAI's usage counts them (prompt tokens with the image's tokens
/// before pruning), the analytic prefill TFLOPs (<see cref="Flops.FlopsModel"/>) and timings from the
/// moment the request was queued.
/// </summary>
public sealed record ChatStats
{
    public required string Method { get; init; }
    public double? Rho { get; init; }
    public IReadOnlyList<double>? Keep { get; init; }
    public required IReadOnlyList<StageKept> Stages { get; init; }
    /// <summary>Image tokens before pruning (the model's image_seq_length).</summary>
    public required int ImageTokens { get; init; }
    /// <summary>Patches per side of the image (the grid the kept indices refer to).</summary>
    public required int Grid { get; init; }
    public required int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    /// <summary>"stop" (end of sequence or a stop sequence), "length" (max tokens), or null while running.</summary>
    public string? FinishReason { get; init; }
    public required double PrefillTflops { get; init; }
    /// <summary>Requests prefilled together with this one (itself included).</summary>
    public required int PrefillBatch { get; init; }
    public required double QueueSeconds { get; init; }
    /// <summary>Time to first token: from queueing to the first token's sampling.</summary>
    public required double TtftSeconds { get; init; }
    public required double PrefillSeconds { get; init; }
    public double DecodeSeconds { get; init; }
}

/// <summary>What a request's stream carries: its start (after prefill), text as it comes, and its end.</summary>
public abstract record ChatEvent;

/// <summary>Prefill is done and the first token sampled: pruning decisions, TTFT and cost are known.</summary>
public sealed record ChatStarted(ChatStats Stats) : ChatEvent;

/// <summary>New text of the answer.</summary>
public sealed record ChatDelta(string Text) : ChatEvent;

/// <summary>The answer is complete; <see cref="ChatStats.FinishReason"/> says why.</summary>
public sealed record ChatFinished(ChatStats Stats) : ChatEvent;
