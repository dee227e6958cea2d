using TorchSharp.Modules;
using LVPrune.Models;
using LVPrune.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>
/// LLaVA instruction tuning: next-token cross-entropy on the answers, training the parameters a
/// policy selects (all, or name prefixes such as "multi_modal_projector", "language_model"),
/// optionally with vision tokens removed on a share of the steps (<see cref="RemovalAugmentation"/>).
/// </summary>
public sealed class LanguageModelObjective : ITrainingObjective
{
    private readonly LlavaForConditionalGeneration _model;
    private readonly RemovalAugmentation? _removal;
    private readonly LVPruningAdapter? _removalAdapter;
    private readonly long _seed;

    /// <param name="removal">vision-token removal on a share of the steps (null = none)</param>
    /// <param name="removalAdapter">the adapter <paramref name="removal"/> names, loaded on <paramref name="model"/>; it stays frozen</param>
    public LanguageModelObjective(LlavaForConditionalGeneration model, IReadOnlyList<string>? trainPrefixes = null,
                                  RemovalAugmentation? removal = null, LVPruningAdapter? removalAdapter = null, long seed = 0)
    {
        _model = model;
        _removal = removal is { Enabled: true } ? removal : null;
        _removalAdapter = removalAdapter;
        _seed = seed;
        if (removalAdapter is not null) foreach (var p in removalAdapter.parameters()) p.requires_grad = false;
        var prefixes = trainPrefixes is null || trainPrefixes.Count == 0 || trainPrefixes.Contains("all") ? null : trainPrefixes;
        var named = model.named_parameters().ToList();
        if (prefixes is not null)
            foreach (var p in prefixes)
                if (!named.Any(n => n.name.StartsWith(p, StringComparison.Ordinal)))
                    throw new LVPruneException($"--train '{p}' matches no parameter (try all, vision_tower, multi_modal_projector, language_model)");
        model.SetTrainable(false);
        Trainable = named.Where(n => prefixes is null || prefixes.Any(p => n.name.StartsWith(p, StringComparison.Ordinal))).ToList();
        foreach (var (_, p) in Trainable) p.requires_grad = true;
        Identity = $"language-model:{string.Join(",", prefixes ?? ["all"])}:{BaseIdentity.Of(model)}" + (_removal is null ? "" : $":{_removal}");
    }

    public string Kind => "language-model";
    public IReadOnlyList<(string Name, Parameter Param)> Trainable { get; }
    public string Identity { get; }

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics) Compute(LlavaBatch batch, long step, BatchShare? share = null)
    {
        // The mean over the global batch's label tokens: this process's mean weighted by its share of them.
        double tokenShare = share?.TokenShare(CausalLmLoss.SupervisedCount(batch.Labels!)) ?? 1.0;
        double rowShare = share?.RowShare(batch.Batch) ?? 1.0;
        var draw = _removal?.Draw(step, _seed, _removalAdapter, _model.Decoder.LayerCount, _model.Config.ImageTokens, share?.Rows);
        if (draw is null)
        {
            var result = _model.Forward(batch);
            var loss = BatchShare.Weigh(CausalLmLoss.Compute(result.Logits!, batch.Labels!), tokenShare);
            var metrics = new Dictionary<string, double> { ["lm_loss"] = loss.ReadDouble() };
            if (_removal is not null) { metrics["removal_rho"] = 0; metrics["removal_adapter"] = 0; }
            return (loss, metrics);
        }
        using var scope = NewDisposeScope();
        using var selector = draw.Value.Selector;
        var pruned = _model.Forward(batch, selector);
        // Logits exist for the tokens still present; every text token is, so the answers' labels follow them.
        var labels = batch.Labels!.to(_model.Device).gather(1, pruned.Decoder.Tokens.OriginalIndex); // [B, T']
        var prunedLoss = BatchShare.Weigh(CausalLmLoss.Compute(pruned.Logits!, labels), tokenShare);
        return (prunedLoss.MoveToOuterDisposeScope(), new Dictionary<string, double>
        {
            ["lm_loss"] = prunedLoss.ReadDouble(), ["removal_rho"] = draw.Value.Rho * rowShare, ["removal_adapter"] = (draw.Value.ByAdapter ? 1 : 0) * rowShare,
        });
    }
}
