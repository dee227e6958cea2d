using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Per-forward inputs shared by the attention layers: rotary tables for the current queries, the
/// validity of keys, the training-mode keep weights, and memoised masks. Masks are built only where
/// needed: an unpadded prefill uses SDPA's causal flag and an unpadded decode step needs none.
/// </summary>
public sealed class AttentionContext : IDisposable
{
    public required Tensor Cos { get; init; }        // [B, 1, T, Dh]
    public required Tensor Sin { get; init; }        // [B, 1, T, Dh]
    public required Tensor QueryValid { get; init; } // [B, T] bool
    /// <summary>Whether any token of the batch is padding (decides whether masks are needed at all).</summary>
    public required bool HasPadding { get; init; }
    /// <summary>Training mode: keep weights D [B, T] of the keys (1 for text), or null.</summary>
    public Tensor? SoftKeep { get; init; }
    /// <summary>Training mode: which keys are image tokens [B, T].</summary>
    public Tensor? KeyIsImage { get; init; }
    /// <summary>Set by the decoder for the one layer whose attention a selector needs.</summary>
    public bool CaptureLastQuery { get; set; }
    /// <summary>Head-averaged attention of the last query row [B, Tk], when captured (detached from
    /// dispose scopes: whoever takes it disposes it).</summary>
    public Tensor? Captured { get; set; }
    /// <summary>Weights [B, T] of the query rows whose head-averaged attention every layer reports
    /// (<see cref="IAttentionObserver"/>), or null. Cache-free passes only.</summary>
    public Tensor? ObservedRows { get; init; }
    /// <summary>Set by each attention layer when <see cref="ObservedRows"/> is given: the row-weighted
    /// mean of its head-averaged attention [B, Tk] fp32 (detached from dispose scopes).</summary>
    public Tensor? RowAttention { get; set; }

    private readonly Dictionary<(int past, int keys), Tensor?> _masks = new();

    /// <summary>
    /// Boolean mask [B, 1, Tq, Tk] (true = may attend) for queries at past..past+Tq-1 over keys
    /// 0..Tk-1, or null when SDPA needs none (caller then uses is_causal when Tq > 1 and past == 0).
    /// Key j is visible to query i if it is valid and not in the future; a query always sees itself,
    /// so padded rows never become all-masked (which would give NaN).
    /// </summary>
    public Tensor? Mask(int past, Tensor keysValid, out bool isCausal)
    {
        int tq = (int)QueryValid.shape[1];
        int tk = (int)keysValid.shape[1];
        isCausal = false;
        if (!HasPadding)
        {
            if (tq == 1) return null;
            if (past == 0) { isCausal = true; return null; }
        }
        if (_masks.TryGetValue((past, tk), out var cached)) return cached;
        Tensor mask;
        using (var scope = NewDisposeScope())
        {
            var device = keysValid.device;
            var qpos = arange(past, past + tq, ScalarType.Int64, device).unsqueeze(1); // [Tq, 1]
            var kpos = arange(0, tk, ScalarType.Int64, device).unsqueeze(0);           // [1, Tk]
            var causal = kpos.le(qpos);                                                  // [Tq, Tk]
            var self = kpos.eq(qpos);
            var m = causal.unsqueeze(0).logical_and(keysValid.unsqueeze(1)).logical_or(self.unsqueeze(0)); // [B, Tq, Tk]
            mask = m.unsqueeze(1).DetachFromDisposeScope();                              // [B, 1, Tq, Tk], owned by this context
        }
        _masks[(past, tk)] = mask;
        return mask;
    }

    public void Dispose()
    {
        foreach (var m in _masks.Values) m?.Dispose();
        _masks.Clear();
    }
}
