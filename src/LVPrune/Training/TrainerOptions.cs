namespace LVPrune.Training;

/// <summary>Optimisation settings. Defaults follow the paper's where they carry over (AdamW,
/// warm-up ratio 0.03, cosine, clip 1.0, no weight decay).</summary>
public sealed record TrainerOptions
{
    /// <summary>Samples per micro-batch.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Micro-batches per optimizer step (effective batch = BatchSize x GradAccum).</summary>
    public int GradAccum { get; init; } = 1;
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-5;
    /// <summary>Fraction of the steps spent warming up linearly.</summary>
    public double WarmupRatio { get; init; } = 0.03;
    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 0.0;
    /// <summary>Gradient-norm clip (0 = off).</summary>
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>Passes over the data (the last partial batch of an epoch is dropped).</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>Stop after this many optimizer steps (null = all epochs; 0 = write the model without training it).</summary>
    public long? MaxSteps { get; init; }
    /// <summary>Write a resumable checkpoint every this many steps (0 = only at the end).</summary>
    public int SaveEvery { get; init; } = 200;
    /// <summary>Seed of the data order and of the objective's sampling.</summary>
    public long Seed { get; init; } = 0;

    public void Validate()
    {
        if (BatchSize < 1) throw new LVPruneException($"--batch-size must be >= 1, got {BatchSize}");
        if (GradAccum < 1) throw new LVPruneException($"--grad-accum must be >= 1, got {GradAccum}");
        if (!(LearningRate > 0)) throw new LVPruneException($"--lr must be > 0, got {LearningRate}");
        if (WarmupRatio is < 0 or > 1) throw new LVPruneException($"--warmup-ratio must be in [0, 1], got {WarmupRatio}");
        if (Epochs < 1) throw new LVPruneException($"--epochs must be >= 1, got {Epochs}");
        if (MaxSteps is < 0) throw new LVPruneException($"--max-steps must be >= 0, got {MaxSteps}");
        if (ClipNorm < 0) throw new LVPruneException($"--clip-norm must be >= 0, got {ClipNorm}");
    }
}
