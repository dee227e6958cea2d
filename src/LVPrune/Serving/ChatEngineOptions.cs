using LVPrune.Pruning;

namespace LVPrune.Serving;

/// <summary>How a <see cref="ChatEngine"/> batches, queues, prunes by default and limits its input.</summary>
public sealed record ChatEngineOptions
{
    /// <summary>The name clients ask for (OpenAI's "model"); the server uses the model folder's name.</summary>
    public string ModelId { get; init; } = "lvprune";
    /// <summary>Most requests decoding together (1 = one request at a time).</summary>
    public int MaxBatch { get; init; } = 8;
    /// <summary>Most requests waiting for a batch slot; one more is refused (HTTP 429).</summary>
    public int MaxQueue { get; init; } = 64;
    /// <summary>Pruning for requests that do not ask for any (the server's --method/--rho/--keep flags).</summary>
    public PruningSpec DefaultPruning { get; init; } = new();
    /// <summary>LVPruning adapter for lvpruning requests (null: <see cref="PruningSpec.AdapterPath"/> of the defaults, or none).</summary>
    public string? AdapterPath { get; init; }
    /// <summary>max_tokens when a request sets none (capped by the context left after the prompt).</summary>
    public int DefaultMaxTokens { get; init; } = 256;
    /// <summary>Largest encoded image accepted, in bytes.</summary>
    public long MaxImageBytes { get; init; } = 20 << 20;
    /// <summary>Largest image accepted, in pixels (checked before decoding).</summary>
    public long MaxImagePixels { get; init; } = 4096L * 4096;
    public IServingObserver? Observer { get; init; }

    /// <summary>The model id a folder is served under: its name ("toy-llava" for assets/toy-llava/).</summary>
    public static string ModelIdOf(string modelDir) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir)));

    public void Validate()
    {
        if (MaxBatch < 1) throw new LVPruneException($"--max-batch must be >= 1, got {MaxBatch}");
        if (MaxQueue < 1) throw new LVPruneException($"--max-queue must be >= 1, got {MaxQueue}");
        if (DefaultMaxTokens < 1) throw new LVPruneException($"default max tokens must be >= 1, got {DefaultMaxTokens}");
        if (MaxImageBytes < 1 || MaxImagePixels < 1) throw new LVPruneException("image limits must be positive");
    }
}
