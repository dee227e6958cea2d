using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Rows [Offset, Offset + B) of a global batch of <see cref="Total"/> rows, when a batch is split across
/// processes (data-parallel training). Random draws made per row (Gumbel noise, random token choices)
/// are drawn for all <see cref="Total"/> rows and sliced, so they do not depend on how many processes
/// share the batch; a batch that is its own global batch draws exactly as before.
/// </summary>
public readonly record struct BatchSlice(long Offset, long Total)
{
    /// <summary>U(0, 1) of <paramref name="shape"/> (rows first) as this slice of the global batch's draw.</summary>
    public static Tensor Uniform(long[] shape, BatchSlice? rows, Generator? generator, Device? device = null)
    {
        if (rows is not { } r || r.Total == shape[0] && r.Offset == 0) return rand(shape, ScalarType.Float32, device, generator: generator);
        if (r.Offset < 0 || r.Offset + shape[0] > r.Total)
            throw new ArgumentOutOfRangeException(nameof(rows), $"rows [{r.Offset}, {r.Offset + shape[0]}) are not inside a batch of {r.Total}");
        var global = (long[])shape.Clone();
        global[0] = r.Total;
        using var all = rand(global, ScalarType.Float32, device, generator: generator);           // [Total, ...]
        return all.narrow(0, r.Offset, shape[0]).contiguous();                                     // [B, ...]
    }
}
