using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Which keys the queries of one forward segment (the layers between two pruning stages) may see,
/// built only where needed: an unpadded prefill uses SDPA's causal flag and an unpadded decode step
/// needs no mask at all. Masks are memoised per (cache length, key count) and owned here, as long as
/// layers of equal length hold the same padding: always in a pass that starts on an empty cache (or has
/// none), and over a cache the decoder wrote itself. A cache whose rows were prefilled apart and
/// realigned (<see cref="KvCache.Gather"/>) pads a row by how much more its batch-mates kept in that
/// layer, which differs between layers before and after a stage even where their lengths agree: over
/// such a cache (<see cref="KvCache.LayersPadAlike"/> false) each layer gets its own mask.
/// </summary>
/// <param name="cachedLayersPadAlike">whether cached layers of equal length hold the same padding</param>
public sealed class AttentionMasks(int queries, bool hasPadding, bool cachedLayersPadAlike = true) : IDisposable
{
    private readonly Dictionary<(int past, int keys), Tensor?> _masks = new();

    /// <summary>Queries of the segment (the new tokens of this forward).</summary>
    public int Queries { get; } = queries;

    /// <summary>Whether any token of the batch, cached or new, is padding (derived from the tokens and the cache).</summary>
    public bool HasPadding { get; } = hasPadding;

    /// <summary>
    /// Boolean mask [B, 1, Tq, Tk] (true = may attend) for queries at past..past+Tq-1 over keys
    /// 0..Tk-1, or null when SDPA needs none (then <paramref name="isCausal"/> says whether to pass its
    /// causal flag). Key j is visible to query i if it is valid and not in the future; a query always
    /// sees itself, so padded rows never become all-masked (which would give NaN).
    /// </summary>
    public Tensor? Mask(int past, Tensor keysValid, out bool isCausal)
    {
        int tk = (int)keysValid.shape[1];
        isCausal = false;
        if (!HasPadding)
        {
            if (Queries == 1) return null;
            if (past == 0) { isCausal = true; return null; }
        }
        bool memo = past == 0 || cachedLayersPadAlike;
        if (memo && _masks.TryGetValue((past, tk), out var cached)) return cached;
        Tensor mask;
        using (var scope = NewDisposeScope())
        {
            var (qpos, kpos) = Positions(past, Queries, tk, keysValid.device);
            var causal = kpos.le(qpos);                                                  // [Tq, Tk]
            var self = kpos.eq(qpos);
            var m = causal.unsqueeze(0).logical_and(keysValid.unsqueeze(1)).logical_or(self.unsqueeze(0)); // [B, Tq, Tk]
            mask = m.unsqueeze(1);                                                       // [B, 1, Tq, Tk]
            if (!memo) return mask.MoveToOuterDisposeScope();                            // this layer's, in the caller's scope
            mask.DetachFromDisposeScope();                                               // owned here
        }
        _masks[(past, tk)] = mask;
        return mask;
    }

    /// <summary>Boolean "may attend" [B|1, 1, Tq, Tk] whatever form the mask took (the memoised mask, or a new
    /// one in the caller's dispose scope).</summary>
    public Tensor Allowed(int past, Tensor keysValid)
    {
        var mask = Mask(past, keysValid, out bool isCausal);
        if (mask is not null) return mask;
        long tk = keysValid.shape[1];
        if (!isCausal) return ones(Queries, tk, ScalarType.Bool, keysValid.device).view(1, 1, Queries, tk);
        var (qpos, kpos) = Positions(past, Queries, tk, keysValid.device);
        return kpos.le(qpos).view(1, 1, Queries, tk);
    }

    /// <summary>Query positions [Tq, 1] (past .. past+Tq-1) and key positions [1, Tk].</summary>
    public static (Tensor Queries, Tensor Keys) Positions(long past, long queries, long keys, Device device)
    {
        using var start = past.ToScalar();
        using var stop = (past + queries).ToScalar();
        using var keyStop = keys.ToScalar();
        var qpos = arange(start, stop, Scalars.One, ScalarType.Int64, device).unsqueeze(1);        // [Tq, 1]
        var kpos = arange(Scalars.Zero, keyStop, Scalars.One, ScalarType.Int64, device).unsqueeze(0); // [1, Tk]
        return (qpos, kpos);
    }

    public void Dispose()
    {
        foreach (var m in _masks.Values) m?.Dispose();
        _masks.Clear();
    }
}
