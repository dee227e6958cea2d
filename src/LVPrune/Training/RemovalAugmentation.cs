using System.Globalization;
using LVPrune.Models;
using LVPrune.Pruning;

namespace LVPrune.Training;

/// <summary>
/// Vision-token removal during base-model training: a share of the steps runs the forward pass with
/// image tokens really removed after the pruning layers (the inference removal path, original
/// positions kept), at a budget rho drawn uniformly from [RhoMin, RhoMax] (keep [rho, rho-0.2,
/// rho-0.4]). Half of those steps keep the tokens an LVPruning adapter ranks highest (when one is
/// given), the rest keep random ones. A base trained this way must answer from whatever subset of
/// the image survives, which a tiny model trained from scratch does not learn by itself (it counted
/// by the share of matching image tokens, so removing the background made it overcount).
/// Every draw of step t comes from (seed, t), so a resumed run draws what an uninterrupted one does.
/// </summary>
public sealed record RemovalAugmentation
{
    /// <summary>Share of steps with tokens removed, in [0, 1].</summary>
    public double Share { get; init; }
    public double RhoMin { get; init; } = 0.4;
    public double RhoMax { get; init; } = 0.7;
    /// <summary>Adapter choosing the kept tokens on half of the removal steps; null = always random.</summary>
    public string? AdapterPath { get; init; }

    /// <summary>Whether any step removes tokens.</summary>
    public bool Enabled => Share > 0;

    public void Validate()
    {
        if (!Enabled && AdapterPath is not null) throw new LVPruneException("--removal-adapter needs --removal-share > 0");
        if (!(Share >= 0 && Share <= 1)) throw new LVPruneException($"--removal-share must be in [0, 1], got {Fmt(Share)}");
        if (!(RhoMin > 0 && RhoMin <= RhoMax && RhoMax <= 1))
            throw new LVPruneException($"--removal-rho: need 0 < MIN <= MAX <= 1, got {Fmt(RhoMin)}-{Fmt(RhoMax)}");
        if (AdapterPath is not null && !File.Exists(AdapterPath)) throw new LVPruneException($"--removal-adapter: adapter not found: {AdapterPath}");
    }

    /// <summary>Parses "MIN-MAX" (e.g. 0.4-0.7).</summary>
    public static (double Min, double Max) ParseRange(string text)
    {
        var parts = text.Split('-');
        if (parts.Length == 2 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
                              && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double b))
            return (a, b);
        throw new LVPruneException($"--removal-rho '{text}' is not MIN-MAX, e.g. 0.4-0.7");
    }

    public override string ToString() =>
        $"removal {Fmt(Share)} at rho {Fmt(RhoMin)}-{Fmt(RhoMax)} ({(AdapterPath is null ? "random" : "adapter/random")})";

    private static string Fmt(double v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>What step <paramref name="step"/> does: null = no removal. Dispose the selector.</summary>
    /// <param name="rows">where the batch's rows sit in a global batch split across processes (null = the whole batch)</param>
    public (ITokenSelector Selector, double Rho, bool ByAdapter)? Draw(long step, long seed, LVPruningAdapter? adapter, int decoderLayers, int imageTokens,
                                                                     BatchSlice? rows = null)
    {
        if (!Enabled) return null;
        var rng = new Random(unchecked((int)(seed * 7_919 + step * 104_729 + 17)));
        if (rng.NextDouble() >= Share) return null;
        double rho = Math.Round(RhoMin + (RhoMax - RhoMin) * rng.NextDouble(), 3);
        var keep = KeepRatios.FromRho(rho, adapter?.Layers.Count ?? 3).Select(k => Math.Max(0.02, k)).ToArray();
        bool byAdapter = adapter is not null && rng.NextDouble() < 0.5;
        var spec = new PruningSpec { Method = byAdapter ? PruningMethod.LVPruning : PruningMethod.Random, Keep = keep, Seed = seed * 1_000_003 + step };
        return (SelectorFactory.Create(spec, imageTokens, decoderLayers, adapter, rows: rows)!, rho, byAdapter);
    }
}
