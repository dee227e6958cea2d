namespace LVPrune.Pruning;

/// <summary>Which tokens a run keeps: none (no pruning), lvpruning, random, fastv.</summary>
public enum PruningMethod { None, LVPruning, Random, FastV }

/// <summary>The methods' names, in one place: what flags accept, JSON reports and tables print.</summary>
public static class PruningMethods
{
    private static readonly (PruningMethod Method, string Name)[] Table =
    [
        (PruningMethod.None, "none"), (PruningMethod.LVPruning, "lvpruning"), (PruningMethod.Random, "random"), (PruningMethod.FastV, "fastv"),
    ];

    /// <summary>Every name, in the order above.</summary>
    public static string[] Names { get; } = Table.Select(t => t.Name).ToArray();

    public static string Name(PruningMethod method) => Table.First(t => t.Method == method).Name;

    public static PruningMethod Parse(string text, string flag = "--method")
    {
        foreach (var (method, name) in Table)
            if (name == text) return method;
        throw new LVPruneException($"{flag} '{text}' is not one of {string.Join(", ", Names)}");
    }

    /// <summary>A comma-separated list of names, each once, in the order given.</summary>
    public static List<PruningMethod> ParseList(string text, string flag) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(n => Parse(n, flag)).Distinct().ToList();
}
