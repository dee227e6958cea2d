using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace LVPrune.Kernels;

/// <summary>
/// The shared frame of the decode GEMV kernels: checks x [..., K] (fp32, at most <see cref="MaxRows"/>
/// rows) against each weight's input size, allocates one fp32 output [..., N] per product, and hands
/// chunks of <see cref="RowsPerChunk"/> output features of all products to the cores in one
/// fork-join (<see cref="GemvWorkers"/>), so q, k, v (or gate, up) cost one wake-up, not three.
/// </summary>
internal static class GemvChunks
{
    /// <summary>Most rows of x a GEMV call takes (decode of a small batch); prefill goes to <see cref="WeightGemm"/>.</summary>
    public const int MaxRows = 4;

    /// <summary>Output features per work item.</summary>
    public const int RowsPerChunk = 256;

    /// <summary>Validated inputs: the outputs to fill and the number of rows of x.</summary>
    public static (Tensor[] Outputs, int Rows) Prepare(Tensor x, IReadOnlyList<(long Out, long In)> shapes, KernelIsa isa)
    {
        if (!CpuFeatures.Current.Supports(isa)) throw new PlatformNotSupportedException($"this CPU cannot run the {isa} kernel ({CpuFeatures.Current})");
        if (x.dtype != ScalarType.Float32) throw new ArgumentException($"x dtype {x.dtype}: the kernel takes fp32 activations");
        if (x.device_type != TorchSharp.DeviceType.CPU) throw new ArgumentException("x must be on the CPU");
        long k = x.shape[^1];
        long rows = x.numel() / Math.Max(1, k);
        if (rows > MaxRows) throw new ArgumentException($"{rows} rows: a GEMV takes at most {MaxRows} (use WeightGemm for prefill)");
        var outputs = new Tensor[shapes.Count];
        for (int p = 0; p < shapes.Count; p++)
        {
            if (shapes[p].In != k) throw new ArgumentException($"weight {p} has {shapes[p].In} inputs, x has {k}");
            outputs[p] = empty(x.shape[..^1].Append(shapes[p].Out).ToArray(), ScalarType.Float32);
        }
        return (outputs, (int)rows);
    }

    /// <summary>Bias p as fp32 [N], or null; checked against N.</summary>
    public static float[]? Bias(Tensor? bias, long outFeatures, int product)
    {
        if (bias is null) return null;
        if (bias.dim() != 1 || bias.shape[0] != outFeatures) throw new ArgumentException($"bias {product} must be [{outFeatures}], got [{string.Join(", ", bias.shape)}]");
        using var b = bias.to(ScalarType.Float32).contiguous();
        return b.data<float>().ToArray();
    }

    /// <summary>One output element: Σ_k W_product[output, k] · x[k] for row <c>row</c> of x, whose fp32 values start at <c>x</c>.</summary>
    public unsafe delegate float RowDot(int product, int output, int row, float* x);

    /// <summary>
    /// The whole frame of a GEMV call: checks, outputs, x as fp32, then y[r, o] = bias[o] + dot(p, o, r, x_r)
    /// for every product p, output o and row r, chunks of outputs spread over the cores. The dot
    /// (the kernel proper) is all a GEMV writes; <paramref name="prepare"/> sees x [rows, K] as fp32
    /// first (to split or quantize it once per call).
    /// </summary>
    public static unsafe Tensor[] Run(Tensor x, IReadOnlyList<(long Out, long In, Tensor? Bias)> products, KernelIsa isa,
                                      Func<float[], int, int, RowDot> prepare)
    {
        var (outputs, rows) = Prepare(x, products.Select(p => (p.Out, p.In)).ToArray(), isa);
        if (rows == 0) return outputs;
        int k = (int)x.shape[^1];
        float[] xs;
        using (var xc = x.contiguous()) xs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(xc.bytes).ToArray();
        var biases = products.Select((p, i) => Bias(p.Bias, p.Out, i)).ToArray();
        var ys = outputs.Select(o => (nint)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(o.bytes))).ToArray();
        var dot = prepare(xs, rows, k);
        var chunks = new List<(int Product, int First)>();
        for (int p = 0; p < products.Count; p++)
            for (int first = 0; first < products[p].Out; first += RowsPerChunk) chunks.Add((p, first));
        GemvWorkers.For(chunks.Count, i =>
        {
            var (p, first) = chunks[i];
            int n = (int)products[p].Out, last = Math.Min(n, first + RowsPerChunk);
            var bias = biases[p];
            float* y = (float*)ys[p];
            fixed (float* xp = xs)
                for (int o = first; o < last; o++)
                    for (int r = 0; r < rows; r++)
                        y[(long)r * n + o] = (bias is null ? 0f : bias[o]) + dot(p, o, r, xp + (long)r * k);
        });
        return outputs;
    }
}
