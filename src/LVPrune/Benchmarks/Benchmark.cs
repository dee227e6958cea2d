namespace LVPrune.Benchmarks;

/// <summary>The nine benchmarks of the LVPruning paper (MMBench in English and Chinese).</summary>
public enum BenchmarkId { VqaV2, Gqa, VizWiz, TextVqa, Sqa, Pope, Mmbench, MmbenchCn, LlavaBench, MmVet }

/// <summary>
/// A benchmark as LLaVA-1.5's scripts run it: its command-line name, the answer length its LLaVA script
/// allows (128 in model_vqa_loader.py, 1024 hard-coded in model_vqa.py, model_vqa_science.py and
/// model_vqa_mmbench.py) and the question file it reads.
/// </summary>
public sealed record Benchmark(BenchmarkId Id, string Name, string Title, int MaxNewTokens)
{
    public static IReadOnlyList<Benchmark> All { get; } =
    [
        new(BenchmarkId.VqaV2, "vqav2", "VQAv2", 128),
        new(BenchmarkId.Gqa, "gqa", "GQA", 128),
        new(BenchmarkId.VizWiz, "vizwiz", "VizWiz", 128),
        new(BenchmarkId.Sqa, "sqa", "SQA-IMG", 1024),
        new(BenchmarkId.TextVqa, "textvqa", "TextVQA", 128),
        new(BenchmarkId.Pope, "pope", "POPE", 128),
        new(BenchmarkId.Mmbench, "mmbench", "MMBench", 1024),
        new(BenchmarkId.MmbenchCn, "mmbench-cn", "MMBench-CN", 1024),
        new(BenchmarkId.LlavaBench, "llava-bench", "LLaVA-W", 1024),
        new(BenchmarkId.MmVet, "mmvet", "MM-Vet", 1024),
    ];

    /// <summary>The command-line names, in the paper's column order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(b => b.Name).ToArray();

    public static Benchmark Parse(string name) =>
        All.FirstOrDefault(b => b.Name == name.Trim().ToLowerInvariant())
        ?? throw new LVPruneException($"--benchmark '{name}': expected one of {string.Join(", ", Names)}");

    public static Benchmark Get(BenchmarkId id) => All.First(b => b.Id == id);

    /// <summary>True for MMBench (English or Chinese): TSV questions with base64 images and circular rows.</summary>
    public bool IsMmbench => Id is BenchmarkId.Mmbench or BenchmarkId.MmbenchCn;
}
