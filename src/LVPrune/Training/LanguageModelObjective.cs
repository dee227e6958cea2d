using TorchSharp.Modules;
using LVPrune.Models;
using LVPrune.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>
/// LLaVA instruction tuning: next-token cross-entropy on the answers, training the parameters a
/// policy selects (all, or name prefixes such as "multi_modal_projector", "language_model").
/// </summary>
public sealed class LanguageModelObjective : ITrainingObjective
{
    private readonly LlavaForConditionalGeneration _model;

    public LanguageModelObjective(LlavaForConditionalGeneration model, IReadOnlyList<string>? trainPrefixes = null)
    {
        _model = model;
        var prefixes = trainPrefixes is null || trainPrefixes.Count == 0 || trainPrefixes.Contains("all") ? null : trainPrefixes;
        var named = model.named_parameters().ToList();
        if (prefixes is not null)
            foreach (var p in prefixes)
                if (!named.Any(n => n.name.StartsWith(p, StringComparison.Ordinal)))
                    throw new LVPruneException($"--train '{p}' matches no parameter (try all, vision_tower, multi_modal_projector, language_model)");
        model.SetTrainable(false);
        Trainable = named.Where(n => prefixes is null || prefixes.Any(p => n.name.StartsWith(p, StringComparison.Ordinal))).ToList();
        foreach (var (_, p) in Trainable) p.requires_grad = true;
        Identity = $"language-model:{string.Join(",", prefixes ?? ["all"])}:{BaseIdentity.Of(model)}";
    }

    public string Kind => "language-model";
    public IReadOnlyList<(string Name, Parameter Param)> Trainable { get; }
    public string Identity { get; }

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics) Compute(LlavaBatch batch, long step)
    {
        var result = _model.Forward(batch);
        var loss = CausalLmLoss.Compute(result.Logits!, batch.Labels!);
        return (loss, new Dictionary<string, double> { ["lm_loss"] = loss.ToDouble() });
    }
}
