using TorchSharp.Modules;
using System.Globalization;
using LVPrune.Models;
using LVPrune.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>LVPruning's loss weights and sampling (paper eq. 13; the paper gives no lambdas, see LVPRUNING.md).</summary>
public sealed record LVPruningLossOptions
{
    /// <summary>Weight of the language-model loss.</summary>
    public double LambdaCausal { get; init; } = 1.0;
    /// <summary>Weight of the keep-ratio loss (DynamicViT's 2).</summary>
    public double LambdaRatio { get; init; } = 2.0;
    /// <summary>Gumbel-softmax temperature.</summary>
    public double GumbelTau { get; init; } = 1.0;
    /// <summary>Huber (smooth-L1, beta 0.5) ratio loss instead of MSE.</summary>
    public bool Huber { get; init; } = false;
}

/// <summary>
/// Trains only the decision modules of an adapter on a frozen base: L = lambda_causal L_causal +
/// lambda_ratio L_ratio with training-mode (masked) pruning. The Gumbel noise of step t comes from a
/// generator seeded with (seed, t), so a resumed run draws exactly what an uninterrupted one does.
/// </summary>
public sealed class LVPruningObjective : ITrainingObjective
{
    private readonly LlavaForConditionalGeneration _model;
    private readonly LVPruningAdapter _adapter;
    private readonly IReadOnlyList<double> _keep;
    private readonly LVPruningLossOptions _o;
    private readonly long _seed;

    public LVPruningObjective(LlavaForConditionalGeneration model, LVPruningAdapter adapter, IReadOnlyList<double> keep, LVPruningLossOptions options, long seed)
    {
        _model = model;
        _adapter = adapter;
        _keep = keep;
        _o = options;
        _seed = seed;
        model.SetTrainable(false);
        foreach (var p in adapter.parameters()) p.requires_grad = true;
        Trainable = adapter.named_parameters().Select(n => (n.name, n.parameter)).ToList();
        Identity = $"lvpruning:{string.Join(",", adapter.Layers)}:{adapter.ModuleConfig}:{adapter.Base}";
    }

    public string Kind => "lvpruning";
    public IReadOnlyList<(string Name, Parameter Param)> Trainable { get; }
    public string Identity { get; }

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics) Compute(LlavaBatch batch, long step)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)(_seed * 1_000_003 + step));
        var selector = new LVPruningSelector(_adapter, _keep, _model.Config.ImageTokens, PruningMode.Train, _o.GumbelTau, generator);
        var result = _model.Forward(batch, selector);
        var lm = CausalLmLoss.Compute(result.Logits!, batch.Labels!);
        var isImage = batch.ImageMask.to(_model.Device);
        var ratio = RatioLoss.Compute(result.Decoder.Stages, isImage, _keep, _o.Huber);
        var loss = _o.LambdaCausal * lm + _o.LambdaRatio * ratio;
        var metrics = new Dictionary<string, double> { ["lm_loss"] = lm.ToDouble(), ["ratio_loss"] = ratio.ToDouble() };
        var rates = RatioLoss.KeepRates(result.Decoder.Stages, isImage);
        for (int s = 0; s < rates.Length; s++)
        {
            metrics[$"keep_{s}"] = rates[s];
            metrics[$"target_{s}"] = _keep[s];
        }
        return (loss, metrics);
    }

    public override string ToString() => $"keep [{string.Join(", ", _keep.Select(k => k.ToString(CultureInfo.InvariantCulture)))}]";
}
