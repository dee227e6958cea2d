namespace LVPrune.Benchmarks;

/// <summary>
/// The questions one run (or one shard of it) will answer, checked before any answer is written: the
/// question file is this benchmark's, and every image of the shard exists.
/// </summary>
public sealed class BenchmarkPlan
{
    private BenchmarkPlan(Benchmark benchmark, string questionsPath, string? imagesDir, IReadOnlyList<BenchmarkQuestion> all, ShardSpec shard, MmbenchTable? table)
    {
        Benchmark = benchmark;
        QuestionsPath = questionsPath;
        ImagesDir = imagesDir;
        All = all;
        Shard = shard;
        (Start, int end) = shard.Range(all.Count);
        Questions = all.Skip(Start).Take(end - Start).ToList();
        Mmbench = table;
    }

    public Benchmark Benchmark { get; }
    public string QuestionsPath { get; }
    public string? ImagesDir { get; }
    /// <summary>Every question of the file, in file order.</summary>
    public IReadOnlyList<BenchmarkQuestion> All { get; }
    public ShardSpec Shard { get; }
    /// <summary>The position of the shard's first question in the file.</summary>
    public int Start { get; }
    /// <summary>The shard's questions.</summary>
    public IReadOnlyList<BenchmarkQuestion> Questions { get; }
    /// <summary>The MMBench table (its images are inside), or null.</summary>
    public MmbenchTable? Mmbench { get; }

    public static BenchmarkPlan Prepare(Benchmark benchmark, string questionsPath, string? imagesDir, ShardSpec shard)
    {
        MmbenchTable? table = benchmark.IsMmbench ? MmbenchTable.Read(questionsPath) : null;
        var all = table is not null ? BenchmarkQuestions.ReadMmbench(benchmark, table) : BenchmarkQuestions.Read(benchmark, questionsPath);
        var plan = new BenchmarkPlan(benchmark, questionsPath, imagesDir, all, shard, table);
        if (table is null && plan.Questions.Any(q => q.Image is not null))
        {
            if (imagesDir is null) throw new LVPruneException($"eval --benchmark {benchmark.Name} needs --images DIR (the folder the question file's image names are relative to)");
            if (!Directory.Exists(imagesDir)) throw new LVPruneException($"--images {imagesDir}: folder not found");
            foreach (var q in plan.Questions)
                if (q.Image is not null && !File.Exists(plan.ImagePath(q)))
                    throw new LVPruneException($"{questionsPath} {(benchmark.Id == BenchmarkId.Sqa ? "item" : "line")} {q.Line}: image {plan.ImagePath(q)} not found");
        }
        return plan;
    }

    /// <summary>The image file of a question (not for MMBench rows).</summary>
    public string ImagePath(BenchmarkQuestion q) => Path.Combine(ImagesDir ?? ".", q.Image ?? throw new InvalidOperationException("question without an image file"));
}
