using TorchSharp.Modules;
using System.Globalization;
using LVPrune.Models;
using LVPrune.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>LVPruning's loss weights and sampling (paper eq. 12; the paper gives no lambdas: lambda_causal 1 and lambda_ratio 2, DynamicViT's, are this project's defaults).</summary>
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
    /// <summary>Weight of <see cref="AnswerDistillation"/> (0 = the paper's loss, and no teacher pass).</summary>
    public double LambdaDistill { get; init; } = 0;
    /// <summary>Weight of <see cref="AttentionDistillation"/> (0 = off, the paper).</summary>
    public double LambdaAttn { get; init; } = 0;
    /// <summary>Per-sample bound on |dL/dD| for the keep decisions (<see cref="MaskGradientTap"/>); 0 = off (the paper).</summary>
    public double MaskGradClip { get; init; } = 0;

    public void Validate()
    {
        if (LambdaCausal < 0 || LambdaRatio < 0 || LambdaDistill < 0 || LambdaAttn < 0)
            throw new LVPruneException("--lambda-causal, --lambda-ratio, --lambda-distill and --lambda-attn must be >= 0");
        if (!(GumbelTau > 0)) throw new LVPruneException($"--gumbel-tau must be > 0 (got {GumbelTau})");
        if (MaskGradClip < 0) throw new LVPruneException($"--mask-grad-clip must be >= 0 (got {MaskGradClip})");
    }
}

/// <summary>
/// Trains only the decision modules of an adapter on a frozen base: L = lambda_causal L_causal +
/// lambda_ratio L_ratio (paper eq. 12; <see cref="CausalLmLoss"/>, <see cref="RatioLoss"/> eq. 11) with
/// training-mode (masked) pruning. The Gumbel noise of step t comes from a
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

    public (Tensor Loss, IReadOnlyDictionary<string, double> Metrics) Compute(LlavaBatch batch, long step, BatchShare? share = null)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)(_seed * 1_000_003 + step));
        using var lambdaCausal = _o.LambdaCausal.ToScalar();
        using var lambdaRatio = _o.LambdaRatio.ToScalar();
        using var lambdaDistill = _o.LambdaDistill.ToScalar();
        using var lambdaAttn = _o.LambdaAttn.ToScalar();
        // Means over the global batch: this process's means weighted by its share of rows or of label tokens.
        double rowShare = share?.RowShare(batch.Batch) ?? 1.0;
        double tokenShare = share?.TokenShare(CausalLmLoss.SupervisedCount(batch.Labels!)) ?? 1.0;
        var selector = new LVPruningSelector(_adapter, _keep, _model.Config.ImageTokens, PruningMode.Train, _o.GumbelTau, generator, rows: share?.Rows);
        using var tap = _o.MaskGradClip > 0 ? new MaskGradientTap(selector) : null;
        var result = _model.Forward(batch, (ITokenSelector?)tap ?? selector);
        var stages = result.Decoder.Stages;
        var lm = BatchShare.Weigh(CausalLmLoss.Compute(result.Logits!, batch.Labels!), tokenShare);
        var isImage = batch.ImageMask.to(_model.Device);
        var ratio = BatchShare.Weigh(tap is null ? RatioLoss.Compute(stages, isImage, _keep, _o.Huber) : RatioLoss.Compute(tap.Graphs, isImage, _keep, _o.Huber), rowShare);
        var metrics = new Dictionary<string, double> { ["lm_loss"] = lm.ReadDouble(), ["ratio_loss"] = ratio.ReadDouble() };
        var baseLoss = lm * lambdaCausal;
        Tensor? attn = null;
        if (_o.LambdaDistill > 0 || _o.LambdaAttn > 0)
        {
            LlavaForwardResult plain;
            using (no_grad())
            {
                // The frozen tower gives the same features: reuse them, run only the decoder again; the
                // probe returns, layer by layer, where the answer rows attend.
                var probe = _o.LambdaAttn > 0 ? AttentionProbe.WeightedRows(CausalLmLoss.PredictingRows(batch.Labels!).to(_model.Device)) : null;
                plain = _model.Forward(batch, logits: LogitsMode.None, imageFeatures: result.ImageFeatures, probe: probe);
            }
            if (_o.LambdaDistill > 0)
            {
                var distill = BatchShare.Weigh(AnswerDistillation.Compute(result.Decoder.Hidden, plain.Decoder.Hidden, batch.Labels!), tokenShare);
                baseLoss = baseLoss.Plus(distill * lambdaDistill);
                metrics["distill_loss"] = distill.ReadDouble();
            }
            if (plain.Decoder.Observations is { } attention)
            {
                var targets = AttentionDistillation.Targets(attention, _adapter.Layers, isImage);
                // Alive at stage s: D_{s-1} over the image tokens (all at stage 0).
                var scores = stages.Select(st => st.Scores!).ToList();
                var alive = scores.Select((score, s) => s == 0 ? ones_like(score) : stages[s - 1].ImageKeep!.detach()).ToList();
                attn = BatchShare.Weigh(AttentionDistillation.Compute(scores, alive, targets), rowShare);
                metrics["attn_loss"] = attn.ReadDouble();
            }
        }
        // The attention term reaches only the modules, beside the ratio loss.
        var moduleLoss = attn is null ? ratio * lambdaRatio : (ratio * lambdaRatio).Plus(attn * lambdaAttn);
        Tensor loss;
        if (tap is null) loss = baseLoss.Plus(moduleLoss);
        else
        {
            // Back-propagate the base's losses to the keep weights only, bound that gradient, and let the
            // surrogate carry it into the modules; the returned value is still the true loss.
            baseLoss.backward();
            var (surrogate, maxGrad, clamped) = tap.Surrogate(_o.MaskGradClip, isImage, share?.Rows.Total);
            var grad = surrogate.Plus(moduleLoss);
            loss = baseLoss.detach().Plus(moduleLoss.detach()).Plus(grad - grad.detach());
            metrics["mask_grad_max"] = maxGrad;
            metrics["mask_grad_clamped"] = clamped * rowShare;
        }
        var rates = RatioLoss.KeepRates(stages, isImage);
        for (int s = 0; s < rates.Length; s++)
        {
            metrics[$"keep_{s}"] = rates[s] * rowShare;
            metrics[$"target_{s}"] = _keep[s] * rowShare;
        }
        return (loss, metrics);
    }

    public override string ToString() => $"keep [{string.Join(", ", _keep.Select(k => k.ToString(CultureInfo.InvariantCulture)))}]";
}
