namespace LVPrune.Benchmarks;

/// <summary>
/// One question of a benchmark, ready to ask: what the model reads after the image placeholder, what
/// the answer file records as "prompt", and where the image comes from.
/// </summary>
public sealed record BenchmarkQuestion
{
    /// <summary>The question id as the question file has it (written back unchanged).</summary>
    public required QuestionKey Id { get; init; }
    /// <summary>The question file's line (or the list position for ScienceQA's JSON list), for errors.</summary>
    public required int Line { get; init; }
    /// <summary>The user message after "&lt;image&gt;\n": the question with its suffix, options, hint or OCR line.</summary>
    public required string Text { get; init; }
    /// <summary>The answer file's "prompt" (LLaVA's cur_prompt).</summary>
    public required string Prompt { get; init; }
    /// <summary>The image file, relative to --images; null for a text-only question or an MMBench row.</summary>
    public string? Image { get; init; }
    /// <summary>The MMBench row (its image is in the TSV).</summary>
    public MmbenchRow? Mmbench { get; init; }
    /// <summary>POPE's split, LLaVA-Bench's and MM-Vet's category, or null.</summary>
    public string? Category { get; init; }

    /// <summary>True when the question comes with an image (every one but ScienceQA's text-only questions).</summary>
    public bool HasImage => Image is not null || Mmbench is not null;
}
