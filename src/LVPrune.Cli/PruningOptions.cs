using System.CommandLine;
using LVPrune.Pruning;

namespace LVPrune.Cli;

/// <summary>The pruning flags of every command that runs a model: --method, --adapter, --keep, --rho, FastV's knobs.</summary>
public sealed class PruningOptions
{
    public Option<string> Method { get; } = new Option<string>("--method")
    {
        Description = "none, lvpruning (needs --adapter, except on the bundled toy model), random, fastv; default: lvpruning with --adapter, else none",
    }.AcceptOnlyFromAmong(PruningMethods.Names);
    public Option<string> Adapter { get; } = new("--adapter") { Description = "LVPruning adapter (.safetensors) to attach" };
    public Option<string> Keep { get; } = KeepOption();
    public Option<double?> Rho { get; } = RhoOption();
    public Option<long> Seed { get; } = new("--prune-seed") { Description = "seed of --method random", DefaultValueFactory = _ => 0 };
    public Option<int> FastVK { get; } = new("--fastv-k") { Description = "FastV's K: prune from layer K, ranked by layer K-1's attention", DefaultValueFactory = _ => 2 };
    public Option<double?> FastVShare { get; } = new("--fastv-keep") { Description = "share of image tokens FastV keeps (default 0.5)" };

    public static Option<string> KeepOption() => new("--keep") { Description = "keep ratios per stage, fractions of the original image tokens, e.g. 0.5,0.3,0.1" };
    public static Option<double?> RhoOption() => new("--rho") { Description = "R: keep ratios [R, R-0.2, R-0.4] (the paper's schedule)" };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Method, Adapter, Keep, Rho, Seed, FastVK, FastVShare }) cmd.Options.Add(o);
    }

    /// <summary>--keep or --rho as ratios; null when neither is given.</summary>
    public static IReadOnlyList<double>? Ratios(string? keep, double? rho)
    {
        if (keep is not null && rho is not null) throw new LVPruneException("give --keep or --rho, not both");
        if (keep is not null) return KeepRatios.Parse(keep);
        if (rho is { } r) return KeepRatios.FromRho(r);
        return null;
    }

    /// <summary>The pruning asked for; with --method lvpruning and no --adapter, the bundled toy model's adapter (<see cref="CommonOptions.DefaultAdapter"/>).</summary>
    public PruningSpec Spec(ParseResult r, string modelDir)
    {
        var given = r.GetValue(Adapter);
        var method = r.GetValue(Method) is { } m ? PruningMethods.Parse(m) : given is not null ? PruningMethod.LVPruning : PruningMethod.None;
        var adapter = given;
        if (method == PruningMethod.LVPruning && adapter is null)
            adapter = CommonOptions.DefaultAdapter(modelDir) ?? throw new LVPruneException(CommonOptions.AdapterNeeded("--method lvpruning"));
        var ratios = Ratios(r.GetValue(Keep), r.GetValue(Rho));
        if (method == PruningMethod.None && (ratios is not null || given is not null) && r.GetValue(Method) is not null)
            throw new LVPruneException("--method none takes no --keep, --rho or --adapter");
        if (method == PruningMethod.None && ratios is not null)
            throw new LVPruneException("--keep/--rho need a pruning method: --adapter FILE (lvpruning) or --method random|fastv");
        if (method == PruningMethod.FastV && ratios is not null)
            throw new LVPruneException("FastV prunes once: use --fastv-keep SHARE (and --fastv-k K), not --keep/--rho");
        return new PruningSpec
        {
            Method = method, AdapterPath = adapter, Keep = ratios, Seed = r.GetValue(Seed),
            FastVK = r.GetValue(FastVK), FastVShare = r.GetValue(FastVShare),
        };
    }
}
