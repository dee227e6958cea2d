using LVPrune.Models;
using LVPrune.Pruning;

namespace LVPrune.Serving;

/// <summary>
/// A request's pruning made concrete against the server's defaults and its adapter: the method, the budget
/// as asked, the selector that carries it out, and the key of the prefill groups it may join (requests
/// share a prefill batch only when they prune after the same layers to the same token counts).
/// </summary>
public sealed class ResolvedPruning
{
    private ResolvedPruning(PruningMethod method, double? rho, IReadOnlyList<double>? keep, ITokenSelector? selector, string groupKey)
    {
        Method = method;
        Rho = rho;
        Keep = keep;
        Selector = selector;
        GroupKey = groupKey;
    }

    public PruningMethod Method { get; }
    public string MethodName => PruningSpec.Name(Method);
    /// <summary>The rho asked for (or the server's), when the budget was given as one.</summary>
    public double? Rho { get; }
    /// <summary>Keep ratios per stage (lvpruning, random), or [share] for fastv; null without pruning.</summary>
    public IReadOnlyList<double>? Keep { get; }
    /// <summary>The request's own selector (null: no pruning).</summary>
    public ITokenSelector? Selector { get; }
    public string GroupKey { get; }

    /// <summary>One selector for a prefill group of requests with equal <see cref="GroupKey"/>: random selection
    /// keeps a selector per row (each row draws from its own seed, as alone); the others decide row by row anyway.</summary>
    public static ITokenSelector? ForGroup(IReadOnlyList<ResolvedPruning> group) =>
        group[0].Selector is null ? null
        : group[0].Method == PruningMethod.Random && group.Count > 1 ? new RowwiseSelector(group.Select(g => g.Selector!).ToList())
        : group[0].Selector;

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
        {
            method = name switch
            {
                "none" => PruningMethod.None,
                "lvpruning" => PruningMethod.LVPruning,
                "random" => PruningMethod.Random,
                "fastv" => PruningMethod.FastV,
                _ => throw new RequestException($"{F}.method '{name}' is not one of none, lvpruning, random, fastv", $"{F}.method", "invalid_pruning_method"),
            };
        }
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

        var selector = Wrap(() => spec.CreateSelector(model, adapter), $"{F}.keep", "invalid_rho");
        IReadOnlyList<double>? ratios = selector switch
        {
            LVPruningSelector lv => lv.Keep,
            FastVSelector fv => [fv.KeepShare],
            _ => spec.Keep,
        };
        IReadOnlyList<int> counts = selector switch
        {
            LVPruningSelector lv => lv.KeepCounts,
            RandomSelector rs => rs.KeepCounts,
            FastVSelector fv => [fv.KeepCount],
            _ => [],
        };
        if (method == PruningMethod.Random && ratios is null) ratios = counts.Select(c => (double)c / model.Config.ImageTokens).ToArray();
        string key = selector is null ? "none" : $"{PruningSpec.Name(method)}|{string.Join(",", selector.Layers)}|{string.Join(",", counts)}";
        return new ResolvedPruning(method, rho, ratios, selector, key);
    }

    private static T Wrap<T>(Func<T> action, string param, string code)
    {
        try { return action(); }
        catch (LVPruneException e) { throw new RequestException(e.Message, param, code); }
    }

    private static void Wrap(Action action, string param, string code) => Wrap(() => { action(); return 0; }, param, code);
}
