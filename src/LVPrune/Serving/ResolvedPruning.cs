using LVPrune.Models;
using LVPrune.Pruning;

namespace LVPrune.Serving;

/// <summary>
/// A request's pruning made concrete against the server's defaults and its adapter: the method, the budget
/// as asked, the <see cref="PruningSpec"/> that carries it out (<see cref="SelectorFactory"/> builds the
/// selectors), and the key of the prefill groups it may join (requests share a prefill batch only when they
/// prune after the same layers to the same token counts).
/// </summary>
public sealed class ResolvedPruning
{
    private ResolvedPruning(PruningSpec spec, double? rho, IReadOnlyList<double>? keep, string groupKey)
    {
        Spec = spec;
        Rho = rho;
        Keep = keep;
        GroupKey = groupKey;
    }

    public PruningSpec Spec { get; }
    public PruningMethod Method => Spec.Method;
    public string MethodName => Spec.MethodName;
    /// <summary>The rho asked for (or the server's), when the budget was given as one.</summary>
    public double? Rho { get; }
    /// <summary>Keep ratios per stage (lvpruning, random), or [share] for fastv; null without pruning.</summary>
    public IReadOnlyList<double>? Keep { get; }
    public string GroupKey { get; }

    /// <summary>The selector of a prefill group of requests with equal <see cref="GroupKey"/> (null: no pruning;
    /// dispose it). Random selection draws each row from its own request's seed (<see cref="PruningSpec.RowSeeds"/>),
    /// as that row would alone; the other methods decide row by row anyway.</summary>
    public static ITokenSelector? ForGroup(IReadOnlyList<ResolvedPruning> group, LlavaForConditionalGeneration model, LVPruningAdapter? adapter) =>
        SelectorFactory.Create(group[0].Spec with { RowSeeds = group.Select(g => g.Spec.Seed).ToArray() }, model, adapter);

    /// <summary>
    /// Resolves <paramref name="request"/> (null: the defaults) against <paramref name="defaults"/> (the server's
    /// flags) and the server's <paramref name="adapter"/>. Bad values throw <see cref="RequestException"/> naming
    /// the field under <see cref="PruningRequest.FieldName"/>.
    /// </summary>
    public static ResolvedPruning Resolve(PruningRequest? request, PruningSpec defaults, LVPruningAdapter? adapter, LlavaForConditionalGeneration model)
    {
        const string F = PruningRequest.FieldName;
        var method = defaults.Method;
        if (request?.Method is { } name)
            method = Wrap(() => PruningMethods.Parse(name, $"{F}.method"), $"{F}.method", "invalid_pruning_method");
        double? rho = request?.Rho;
        var keep = request?.Keep;
        if (rho is { } r && !(r > 0 && r <= 1))
            throw new RequestException($"{F}.rho must be in (0, 1], got {r}", $"{F}.rho", "invalid_rho");
        if (rho is not null && keep is not null)
            throw new RequestException($"give {F}.rho or {F}.keep, not both", $"{F}.keep", "invalid_rho");
        if (keep is not null)
        {
            if (keep.Count == 0 || keep.Any(k => !(k > 0 && k <= 1)))
                throw new RequestException($"{F}.keep must be ratios in (0, 1], got [{string.Join(", ", keep)}]", $"{F}.keep", "invalid_rho");
            Wrap(() => KeepRatios.Validate(keep, $"{F}.keep"), $"{F}.keep", "invalid_rho");
        }
        if (method == PruningMethod.None && (rho is not null || keep is not null))
            throw new RequestException(request?.Method is null
                    ? $"{F}.rho/keep need a pruning method: this server prunes with none by default; add {F}.method"
                    : $"{F}.method none takes no rho or keep", $"{F}.method", "invalid_pruning_method");
        if (method == PruningMethod.FastV && keep is not null)
            throw new RequestException($"fastv prunes once: give {F}.rho (the share of image tokens it keeps), not {F}.keep", $"{F}.keep", "invalid_rho");
        if (method == PruningMethod.LVPruning && adapter is null)
            throw new RequestException($"{F}.method lvpruning: this server has no LVPruning adapter (start it with --adapter FILE)", $"{F}.method", "no_adapter");

        // Without a budget in the request, the server's own applies when it prunes the same way.
        bool sameAsServer = method == defaults.Method;
        var spec = method switch
        {
            PruningMethod.FastV => defaults with { Method = method, Keep = null, FastVShare = rho ?? (sameAsServer ? defaults.FastVShare : null) },
            _ => defaults with
            {
                Method = method,
                Keep = keep ?? (rho is { } x ? KeepRatios.FromRho(x) : sameAsServer ? defaults.Keep : null),
                FastVShare = null,
            },
        };
        if (request?.Seed is { } seed) spec = spec with { Seed = seed };

        // The request's own selector, built once to check the budget and read its stages and counts.
        using var selector = Wrap(() => SelectorFactory.Create(spec, model, adapter), $"{F}.keep", "invalid_rho");
        int imageTokens = model.Config.ImageTokens;
        IReadOnlyList<double>? ratios = selector switch
        {
            LVPruningSelector lv => lv.Keep,
            RandomSelector rs => rs.Keep,
            FastVSelector fv => [fv.KeepShare],
            _ => null,
        };
        IReadOnlyList<int> counts = selector switch
        {
            LVPruningSelector lv => lv.KeepCounts,
            RandomSelector rs => rs.KeepCounts,
            FastVSelector fv => [KeepRatios.Count(fv.KeepShare, imageTokens)],
            _ => [],
        };
        string key = selector is null ? "none" : $"{spec.MethodName}|{string.Join(",", selector.StageLayers())}|{string.Join(",", counts)}";
        return new ResolvedPruning(spec, rho, ratios, key);
    }

    private static T Wrap<T>(Func<T> action, string param, string code)
    {
        try { return action(); }
        catch (LVPruneException e) { throw new RequestException(e.Message, param, code); }
    }

    private static void Wrap(Action action, string param, string code) => Wrap(() => { action(); return 0; }, param, code);
}
