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

    public void Dispose()
    {
        foreach (var l in _layers) { l.K.Dispose(); l.V.Dispose(); l.Valid.Dispose(); }
    }
}
