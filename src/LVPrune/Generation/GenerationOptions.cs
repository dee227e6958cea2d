namespace LVPrune.Generation;

/// <summary>Decoding settings. Temperature 0 means greedy.</summary>
public sealed record GenerationOptions
{
    /// <summary>Upper bound on generated tokens per prompt.</summary>
    public int MaxNewTokens { get; init; } = 128;
    /// <summary>0 = greedy (argmax); otherwise logits are divided by it before sampling.</summary>
    public double Temperature { get; init; } = 0;
    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Seed of the sampler (sampled decoding only).</summary>
    public long Seed { get; init; } = 0;
    /// <summary>Stop a row at its first EOS (false: always generate MaxNewTokens, for parity checks).</summary>
    public bool StopAtEos { get; init; } = true;

    public void Validate()
    {
        if (MaxNewTokens < 0) throw new LVPruneException($"--max-new-tokens must be >= 0, got {MaxNewTokens}");
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new LVPruneException($"--temperature must be >= 0, got {Temperature}");
        if (!(TopP > 0 && TopP <= 1)) throw new LVPruneException($"--top-p must be in (0, 1], got {TopP}");
    }
}
