using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Serving;

/// <summary>
/// One selector per row of a batch, each deciding on its row alone. Serving needs it for random
/// selection: a <see cref="Pruning.RandomSelector"/> draws one [B, Nv] block per stage from its generator, so a
/// request batched with others would keep other patches than alone; with a selector of its own seed per
/// row, each row draws exactly what it draws alone. The selectors must agree on their stage layers and
/// keep the same number of image tokens per stage (the rows of a batch keep equal counts).
/// </summary>
public sealed class RowwiseSelector : ITokenSelector
{
    private readonly IReadOnlyList<ITokenSelector> _rows;

    public RowwiseSelector(IReadOnlyList<ITokenSelector> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("no row selectors", nameof(rows));
        if (rows.Any(r => !r.Layers.SequenceEqual(rows[0].Layers) || r.AttentionCaptureLayer != rows[0].AttentionCaptureLayer))
            throw new ArgumentException("row selectors prune after different layers", nameof(rows));
        _rows = rows;
    }

    public IReadOnlyList<int> Layers => _rows[0].Layers;
    public int? AttentionCaptureLayer => _rows[0].AttentionCaptureLayer;

    public StageDecision Decide(int stage, Tensor hidden, TokenState tokens, Tensor? lastQueryAttention)
    {
        if (hidden.shape[0] != _rows.Count)
            throw new InvalidOperationException($"{_rows.Count} row selectors for a batch of {hidden.shape[0]}");
        using var scope = NewDisposeScope();
        var keep = new Tensor[_rows.Count];
        for (int b = 0; b < _rows.Count; b++)
        {
            var row = new TokenState
            {
                PositionIds = tokens.PositionIds.narrow(0, b, 1), Valid = tokens.Valid.narrow(0, b, 1),
                ImageIndex = tokens.ImageIndex.narrow(0, b, 1), Guide = tokens.Guide.narrow(0, b, 1),
                OriginalIndex = tokens.OriginalIndex.narrow(0, b, 1),
            };
            var decision = _rows[b].Decide(stage, hidden.narrow(0, b, 1), row, lastQueryAttention?.narrow(0, b, 1));
            if (decision.SoftKeep is not null) throw new InvalidOperationException("row-wise selection is for inference (token removal) only");
            keep[b] = decision.KeepIndices ?? arange(0, tokens.Length, ScalarType.Int64, hidden.device).unsqueeze(0); // [1, T'] or all [1, T]
        }
        if (keep.Any(k => k.shape[1] != keep[0].shape[1]))
            throw new InvalidOperationException("row selectors kept different numbers of tokens");
        return new StageDecision(KeepIndices: cat(keep, 0).MoveToOuterDisposeScope());              // [B, T']
    }
}
