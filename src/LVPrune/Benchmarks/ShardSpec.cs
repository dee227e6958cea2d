namespace LVPrune.Benchmarks;

/// <summary>
/// Shard I of N (0-based, like LLaVA's --chunk-idx and an MPI rank): LLaVA's split_list, N contiguous
/// slices of ceil(count / N) questions each (the last ones shorter, possibly empty), so the shards'
/// answer files concatenated in shard order are one run's file.
/// </summary>
public readonly record struct ShardSpec(int Index, int Count)
{
    public static ShardSpec Whole { get; } = new(0, 1);

    /// <summary>Parses "I/N" with 0 &lt;= I &lt; N.</summary>
    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 || i < 0 || i >= n)
            throw new LVPruneException($"--shard '{text}': expected I/N with 0 <= I < N (shard I of N contiguous slices, I counted from 0 like LLaVA's --chunk-idx)");
        return new ShardSpec(i, n);
    }

    /// <summary>The [start, end) question range of this shard among <paramref name="total"/> questions.</summary>
    public (int Start, int End) Range(int total)
    {
        int chunk = (total + Count - 1) / Count; // math.ceil(len(lst) / n)
        int start = Math.Min(total, Index * chunk);
        return (start, Math.Min(total, start + chunk));
    }

    public override string ToString() => $"{Index}/{Count}";
}
