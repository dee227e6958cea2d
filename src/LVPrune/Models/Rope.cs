using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Rotary position embeddings in the rotate_half form that Hugging Face LLaMA checkpoints are
/// permuted for (NOT Meta's complex-pair form, which gives wrong numbers silently). Positions are
/// explicit per token, so pruned tokens keep their original positions. The cos/sin table is a
/// derived, non-persistent table computed in fp32 exactly as transformers does
/// (inv_freq = 1 / theta^(2i/d), divided by the linear scaling factor; angle = pos * inv_freq).
/// </summary>
public sealed class Rope : IDisposable
{
    private readonly Tensor _invFreq; // [Dh/2] fp32
    private Tensor _cos;              // [P, Dh] fp32
    private Tensor _sin;              // [P, Dh] fp32
    private readonly int _headDim;

    public Rope(int headDim, double theta, double linearFactor, int initialPositions, Device? device = null)
    {
        _headDim = headDim;
        using (var scope = NewDisposeScope())
        {
            using var end = headDim.ToScalar();
            using var one = 1.0f.ToScalar();
            using var factor = ((float)linearFactor).ToScalar();
            var exponent = arange(Scalars.Zero, end, Scalars.Two, ScalarType.Int64, device).to(ScalarType.Float32).div(end);
            var invFreq = pow(tensor((float)theta, ScalarType.Float32, device), exponent).reciprocal().mul(one); // 1 / theta^(2i/d)
            if (linearFactor != 1.0) invFreq = invFreq.div(factor);
            _invFreq = invFreq.DetachFromDisposeScope();
        }
        (_cos, _sin) = Build(Math.Max(initialPositions, 16));
    }

    private (Tensor cos, Tensor sin) Build(long positions)
    {
        using var scope = NewDisposeScope();
        using var end = positions.ToScalar();
        var pos = arange(Scalars.Zero, end, Scalars.One, ScalarType.Int64, _invFreq.device).to(ScalarType.Float32);
        var freqs = pos.unsqueeze(1) * _invFreq.unsqueeze(0); // [P, Dh/2]
        var emb = cat([freqs, freqs], 1);                       // [P, Dh]
        return (emb.cos().DetachFromDisposeScope(), emb.sin().DetachFromDisposeScope());
    }

    /// <summary>cos and sin for position ids [B, T] as [B, 1, T, Dh] in <paramref name="dtype"/>.</summary>
    public (Tensor cos, Tensor sin) Get(Tensor positionIds, ScalarType dtype)
    {
        long max = positionIds.max().ReadLong() + 1;
        if (max > _cos.shape[0])
        {
            long size = _cos.shape[0];
            while (size < max) size *= 2;
            _cos.Dispose(); _sin.Dispose();
            (_cos, _sin) = Build(size);
        }
        var flat = positionIds.reshape(-1);
        long[] shape = [positionIds.shape[0], 1, positionIds.shape[1], _headDim];
        var cos = _cos.index_select(0, flat).view(shape).to(dtype); // [B, 1, T, Dh]
        var sin = _sin.index_select(0, flat).view(shape).to(dtype);
        return (cos, sin);
    }

    /// <summary>x * cos + rotate_half(x) * sin, with rotate_half(x) = cat(-x2, x1).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], -1);
        return (x * cos).Plus(rotated * sin).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _invFreq.Dispose(); _cos.Dispose(); _sin.Dispose();
    }
}
