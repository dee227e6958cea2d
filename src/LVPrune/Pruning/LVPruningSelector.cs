using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>Training keeps every token and masks (paper sec. 3.3); inference removes (sec. 3.4).</summary>
public enum PruningMode { Train, Infer }

/// <summary>
/// LVPruning as a token selector. At each stage the stage's decision module scores the live vision
/// tokens against the guiding text tokens (prompt text only: no padding, no supervised answer).
/// Train: D_s = GumbelSoftmax_hard(gamma)[:, 0] * D_{s-1} (eq. 10), passed on as soft keep weights
/// for the masked softmax of every following layer; nothing is removed. Infer: keep the top
/// k_s = rho_s x N_original live vision tokens by keep score (gamma_0 - gamma_1, the order of
/// softmax(gamma)[:, 0]), in original order; every text token goes on.
/// </summary>
public sealed class LVPruningSelector : ITokenSelector, IDisposable
{
    private readonly LVPruningAdapter _adapter;
    private readonly int[] _counts;
    private readonly PruningMode _mode;
    private readonly double _tau;
    private readonly TorchSharp.torch.Generator? _generator;
    private Tensor? _previous; // D_{s-1} over the image block [B, N], training only
    private readonly List<Tensor> _scores = [];

    public LVPruningSelector(LVPruningAdapter adapter, IReadOnlyList<double> keep, int imageTokens, PruningMode mode,
                             double gumbelTau = 1.0, TorchSharp.torch.Generator? generator = null)
    {
        if (keep.Count != adapter.Layers.Count)
            throw new LVPruneException($"{keep.Count} keep ratios given for an adapter with {adapter.Layers.Count} stages");
        KeepRatios.Validate(keep);
        _adapter = adapter;
        _counts = KeepRatios.Counts(keep, imageTokens);
        _mode = mode;
        _tau = gumbelTau;
        _generator = generator;
        Keep = keep.ToArray();
    }

    public IReadOnlyList<int> Layers => _adapter.Layers;
    public IReadOnlyList<double> Keep { get; }
    public IReadOnlyList<int> KeepCounts => _counts;

    /// <summary>Training, when <see cref="RecordScores"/> is set: each stage's keep scores
    /// gamma_0 - gamma_1 [B, N] over the image block, with their graph.</summary>
    public IReadOnlyList<Tensor> Scores => _scores;
    public bool RecordScores { get; init; }

    public StageDecision Decide(int stage, Tensor hidden, TokenState tokens, Tensor? lastQueryAttention)
    {
        using var scope = NewDisposeScope();
        // Inference decisions are indices: no gradient can flow through them, so build no graph
        // (a base trained with removal would otherwise record the modules' graph every step).
        using var noGrad = _mode == PruningMode.Infer ? no_grad() : null;
        var isImage = tokens.IsImage;
        var imagePos = KeepMask.ToIndices(isImage);                                      // [B, Nv]
        long B = hidden.shape[0], Nv = imagePos.shape[1], D = hidden.shape[2];
        var vision = hidden.gather(1, imagePos.unsqueeze(-1).expand(B, Nv, D));          // [B, Nv, C]
        var (text, textMask) = GuidingText(hidden, tokens.Guide);                        // [B, Nt, C], [B, Nt]
        var gamma = _adapter.Stage(stage).Forward(vision.to(_adapter.DType), text.to(_adapter.DType), textMask); // [B, Nv, 2]

        if (_mode == PruningMode.Train)
        {
            if (stage == 0) { _previous?.Dispose(); _previous = null; }
            if (RecordScores) _scores.Add((gamma.select(-1, 0) - gamma.select(-1, 1)).DetachFromDisposeScope());
            var d = GumbelSoftmax.Hard(gamma, _tau, _generator).select(-1, 0);           // [B, Nv], 1 = keep
            if (_previous is not null) d = d * _previous;                                // a pruned token stays pruned
            var full = ones([B, tokens.Length], ScalarType.Float32, hidden.device).scatter(1, imagePos, d); // [B, T]
            var next = d.DetachFromDisposeScope();
            _previous?.Dispose();
            _previous = stage == Layers.Count - 1 ? null : next;
            if (_previous is null) next.Dispose();
            return new StageDecision(SoftKeep: full.MoveToOuterDisposeScope());
        }

        int k = _counts[stage];
        if (k >= Nv) return StageDecision.KeepAll;
        var score = gamma.select(-1, 0) - gamma.select(-1, 1);                           // [B, Nv]
        var top = score.topk(k, dim: 1).indexes;                                         // [B, k] (order restored by the scatter)
        return new StageDecision(KeepIndices: KeepMask.KeepImageSubset(isImage, imagePos, top).MoveToOuterDisposeScope());
    }

    /// <summary>Releases the recorded scores and the carried keep weights.</summary>
    public void Dispose()
    {
        foreach (var score in _scores) score.Dispose();
        _scores.Clear();
        _previous?.Dispose();
        _previous = null;
    }

    /// <summary>Hidden states of each row's guiding text tokens, packed left and padded: [B, Nt, C] and mask [B, Nt].</summary>
    public static (Tensor text, Tensor mask) GuidingText(Tensor hidden, Tensor guide)
    {
        long B = hidden.shape[0], T = hidden.shape[1], D = hidden.shape[2];
        long nt = Math.Max(1, guide.sum([1]).max().ToInt64());
        // Stable order: guide tokens first (in sequence order), then the rest.
        var key = guide.logical_not().to(ScalarType.Int64) * T + arange(0, T, ScalarType.Int64, hidden.device).unsqueeze(0);
        var order = key.argsort(1).narrow(1, 0, nt);                                     // [B, Nt]
        var mask = guide.gather(1, order);
        var text = hidden.gather(1, order.unsqueeze(-1).expand(B, nt, D));                // [B, Nt, C]
        if (!mask.any(1).all().ToBoolean())
            throw new LVPruneException("a prompt has no text tokens to guide pruning");
        return (text, mask);
    }
}
