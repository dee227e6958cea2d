using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>Training keeps every token and masks (paper sec. 3.2); inference removes (sec. 3.3).</summary>
public enum PruningMode { Train, Infer }

/// <summary>
/// LVPruning as a token selector. At each stage the stage's decision module scores the live vision
/// tokens against the guiding text tokens (prompt text only: no padding, no supervised answer),
/// gamma = W_O O (eq. 1-4, <see cref="DecisionModule"/>).
/// Train: D = GumbelSoftmax_hard(gamma)[:, 0] (eq. 5-6, <see cref="GumbelSoftmax"/>), accumulated over the
/// stages (eq. 10, <see cref="CumulativeDecisions"/>) and applied by every following layer's masked
/// softmax (eq. 7-9, <see cref="MaskedSoftmax"/>); nothing is removed. Infer: keep the top
/// k_s = rho_s x N_original live vision tokens by keep score (gamma_0 - gamma_1, the order of
/// softmax(gamma)[:, 0]) and remove the rest (eq. 13-14, <see cref="TopKRemoval"/>). Stateless:
/// what one stage needs from the previous comes in its <see cref="StageInput"/>.
/// </summary>
public sealed class LVPruningSelector : ITokenSelector
{
    private readonly LVPruningAdapter _adapter;
    private readonly bool _ownsAdapter;
    private readonly int[] _counts;
    private readonly PruningMode _mode;
    private readonly double _tau;
    private readonly TorchSharp.torch.Generator? _generator;
    private readonly BatchSlice? _rows;

    /// <param name="generator">the Gumbel noise's generator (training; owned by the caller)</param>
    /// <param name="ownsAdapter">dispose <paramref name="adapter"/> with this selector</param>
    /// <param name="rows">training: where the batch's rows sit in a global batch split across processes (the Gumbel noise is the global batch's, sliced)</param>
    public LVPruningSelector(LVPruningAdapter adapter, IReadOnlyList<double> keep, int imageTokens, PruningMode mode,
                             double gumbelTau = 1.0, TorchSharp.torch.Generator? generator = null, bool ownsAdapter = false, BatchSlice? rows = null)
    {
        if (keep.Count != adapter.Layers.Count)
            throw new LVPruneException($"{keep.Count} keep ratios given for an adapter with {adapter.Layers.Count} stages");
        KeepRatios.Validate(keep);
        _adapter = adapter;
        _ownsAdapter = ownsAdapter;
        _counts = KeepRatios.Counts(keep, imageTokens);
        _mode = mode;
        _tau = gumbelTau;
        _generator = generator;
        _rows = rows;
        Keep = keep.ToArray();
        Stages = adapter.Layers.Select(l => new SelectionStage(l)).ToArray();
    }

    public IReadOnlyList<SelectionStage> Stages { get; }
    public IReadOnlyList<int> Layers => _adapter.Layers;
    public IReadOnlyList<double> Keep { get; }
    /// <summary>The decision modules' shape (the FLOPs model counts them).</summary>
    public DecisionModuleConfig ModuleConfig => _adapter.ModuleConfig;
    public IReadOnlyList<int> KeepCounts => _counts;

    public StageDecision Decide(StageInput input)
    {
        using var scope = NewDisposeScope();
        // Inference decisions are indices: no gradient can flow through them, so build no graph
        // (a base trained with removal would otherwise record the modules' graph every step).
        using var noGrad = _mode == PruningMode.Infer ? no_grad() : null;
        var (hidden, tokens) = (input.Hidden, input.Tokens);
        var isImage = tokens.IsImage;
        var imagePos = TopKRemoval.ImagePositions(isImage);                             // [B, Nv]
        long B = hidden.shape[0], Nv = imagePos.shape[1], D = hidden.shape[2];
        var vision = hidden.gather(1, imagePos.unsqueeze(-1).expand(B, Nv, D));          // [B, Nv, C]
        var (text, textMask) = GuidingText(hidden, tokens.Guide);                        // [B, Nt, C], [B, Nt]
        var gamma = _adapter.Stage(input.Stage).Forward(vision.to(_adapter.DType), text.to(_adapter.DType), textMask); // [B, Nv, 2]
        var score = gamma.select(-1, 0) - gamma.select(-1, 1);                           // [B, Nv] keep score

        if (_mode == PruningMode.Train)
        {
            var own = GumbelSoftmax.Hard(gamma, _tau, _generator, _rows).select(-1, 0);         // [B, Nv], 1 = keep (eq. 5-6)
            var d = CumulativeDecisions.Apply(input.PreviousImageKeep, own);            // eq. 10
            var full = ones([B, tokens.Length], ScalarType.Float32, hidden.device).scatter(1, imagePos, d); // [B, T], text 1
            return new StageDecision(SoftKeep: full.MoveToOuterDisposeScope(), ImageKeep: d.MoveToOuterDisposeScope(),
                                     Attention: new MaskedSoftmax(full, isImage.MoveToOuterDisposeScope()), Scores: score.MoveToOuterDisposeScope());
        }

        int k = _counts[input.Stage];
        if (k >= Nv) return StageDecision.KeepAll;
        return new StageDecision(KeepIndices: TopKRemoval.KeepIndices(isImage, imagePos, score, k).MoveToOuterDisposeScope(),
                                 Scores: score.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        if (_ownsAdapter) _adapter.Dispose();
    }

    /// <summary>Hidden states of each row's guiding text tokens, packed left and padded: [B, Nt, C] and mask [B, Nt].</summary>
    public static (Tensor text, Tensor mask) GuidingText(Tensor hidden, Tensor guide)
    {
        long B = hidden.shape[0], T = hidden.shape[1], D = hidden.shape[2];
        long nt = Math.Max(1, guide.sum([1]).max().ReadLong());
        // Stable order: guide tokens first (in sequence order), then the rest.
        using var length = T.ToScalar();
        var key = guide.logical_not().to(ScalarType.Int64).mul_(length).PlusInPlace(arange(Scalars.Zero, length, Scalars.One, ScalarType.Int64, hidden.device).unsqueeze(0));
        var order = key.argsort(1).narrow(1, 0, nt);                                     // [B, Nt]
        var mask = guide.gather(1, order);
        var text = hidden.gather(1, order.unsqueeze(-1).expand(B, nt, D));                // [B, Nt, C]
        if (!mask.any(1).all().ReadBool())
            throw new LVPruneException("a prompt has no text tokens to guide pruning");
        return (text, mask);
    }
}
