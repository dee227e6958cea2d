using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// A preallocated key/value cache: one fixed-size buffer per layer, written by slice (never grown
/// by concatenation). Each layer keeps its own length, because after a pruning stage the layers
/// that follow hold fewer tokens than the layers before it. A per-layer validity mask records
/// padding so batches with left padding attend only to real tokens.
/// </summary>
public sealed class KvCache : IDisposable
{
    public sealed class Layer
    {
        public Tensor K = null!;     // [B, KvH, Max, Dh]
        public Tensor V = null!;     // [B, KvH, Max, Dh]
        public Tensor Valid = null!; // [B, Max] bool
        public int Length;           // tokens written so far
    }

    private readonly Layer[] _layers;
    public int Capacity { get; }
    public int Batch { get; }
    /// <summary>Whether a padding token was ever written (set by the decoder; decode steps then mask by <see cref="Layer.Valid"/>).</summary>
    public bool HasPadding { get; set; }
    /// <summary>Whether layers of equal length hold the same padding, as in every cache the decoder writes (masks may
    /// then be shared between layers); false for a cache of realigned rows (<see cref="Gather"/>).</summary>
    public bool LayersPadAlike { get; private set; } = true;

    public KvCache(int layers, int batch, int kvHeads, int capacity, int headDim, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        Batch = batch;
        _layers = new Layer[layers];
        for (int i = 0; i < layers; i++)
        {
            _layers[i] = new Layer
            {
                K = empty([batch, kvHeads, capacity, headDim], dtype, device).DetachFromDisposeScope(),
                V = empty([batch, kvHeads, capacity, headDim], dtype, device).DetachFromDisposeScope(),
                Valid = zeros([batch, capacity], ScalarType.Bool, device).DetachFromDisposeScope(),
            };
        }
    }

    public Layer this[int layer] => _layers[layer];
    public int LayerCount => _layers.Length;

    /// <summary>Writes k, v [B, KvH, T, Dh] and valid [B, T] after the layer's current length and
    /// returns views of everything cached so far (keys [B, KvH, L, Dh], valid [B, L]).</summary>
    public static (Tensor k, Tensor v, Tensor valid) Append(Layer layer, Tensor k, Tensor v, Tensor valid)
    {
        int t = (int)k.shape[2];
        if (layer.Length + t > layer.K.shape[2])
            throw new InvalidOperationException($"KV cache capacity {layer.K.shape[2]} exceeded ({layer.Length} + {t})");
        layer.K.narrow(2, layer.Length, t).copy_(k);
        layer.V.narrow(2, layer.Length, t).copy_(v);
        layer.Valid.narrow(1, layer.Length, t).copy_(valid);
        layer.Length += t;
        return (layer.K.narrow(2, 0, layer.Length), layer.V.narrow(2, 0, layer.Length), layer.Valid.narrow(1, 0, layer.Length));
    }

    /// <summary>
    /// A new cache holding the given rows of other caches (continuous batching: rows prefilled apart, with
    /// different lengths and pruning, decode together), with <paramref name="room"/> free slots after the
    /// longest layer. In every layer a source row holds [padding][valid tokens] (left-padded prefill, then
    /// decode steps); its valid keys (already RoPE-rotated), values and validity are copied unchanged,
    /// right-aligned, so only the leading padding differs and each row attends to exactly the keys it
    /// would attend to alone. The padding slots are zeroed: masked keys still enter attention's weighted
    /// sum with weight 0, and 0 x NaN from uninitialised memory would be NaN. The sources stay as they were.
    /// </summary>
    public static KvCache Gather(IReadOnlyList<(KvCache Source, int Row)> rows, int room)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to gather", nameof(rows));
        int layers = rows[0].Source.LayerCount, B = rows.Count;
        if (rows.Any(r => r.Source.LayerCount != layers)) throw new ArgumentException("rows from caches of different depths", nameof(rows));
        using var scope = NewDisposeScope();
        var valid = rows.Select(r => r.Source).Distinct().ToDictionary(c => c, c => c.TrailingValidCounts());
        var lengths = Enumerable.Range(0, layers).Select(l => (int)rows.Max(r => valid[r.Source][l][r.Row])).ToArray();
        var kv = rows[0].Source[0].K;
        var cache = new KvCache(layers, B, (int)kv.shape[1], lengths.Max() + room, (int)kv.shape[3], kv.dtype, kv.device) { LayersPadAlike = false };
        for (int l = 0; l < layers; l++)
        {
            var dst = cache[l];
            for (int b = 0; b < B; b++)
            {
                var (source, row) = rows[b];
                var src = source[l];
                int n = (int)valid[source][l][row], from = src.Length - n, to = lengths[l] - n;
                if (to > 0)
                {
                    dst.K[b].narrow(1, 0, to).zero_();                                                 // [KvH, to, Dh]
                    dst.V[b].narrow(1, 0, to).zero_();
                    cache.HasPadding = true;
                }
                dst.K[b].narrow(1, to, n).copy_(src.K[row].narrow(1, from, n));                        // [KvH, n, Dh]
                dst.V[b].narrow(1, to, n).copy_(src.V[row].narrow(1, from, n));
                dst.Valid[b].narrow(0, to, n).copy_(src.Valid[row].narrow(0, from, n));                // all true
            }
            dst.Length = lengths[l];
        }
        return cache;
    }

    /// <summary>Per layer, per row: how many valid tokens the layer holds. Throws unless they end the row.</summary>
    private long[][] TrailingValidCounts()
    {
        var counts = new long[LayerCount][];
        for (int l = 0; l < LayerCount; l++)
        {
            var layer = _layers[l];
            var valid = layer.Valid.narrow(1, 0, layer.Length).to(ScalarType.Int64);                       // [B, L]
            counts[l] = valid.sum([1]).cpu().data<long>().ToArray();
            var trailing = valid.flip(1).cumprod(1).sum([1]).cpu().data<long>().ToArray();                       // run of valid tokens at the end
            if (!counts[l].SequenceEqual(trailing))
                throw new InvalidOperationException($"KV cache layer {l} holds padding after valid tokens; its rows cannot be realigned");
        }
        return counts;
    }

    public void Dispose()
    {
        foreach (var l in _layers) { l.K.Dispose(); l.V.Dispose(); l.Valid.Dispose(); }
    }
}
