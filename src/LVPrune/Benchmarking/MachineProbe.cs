using System.Diagnostics;
using static TorchSharp.torch;

namespace LVPrune.Benchmarking;

/// <summary>What this machine can do, measured in the same run as the model: dense matmul throughput
/// at the prefill's shape, and memory read bandwidth (the bound on decoding).</summary>
public static class MachineProbe
{
    /// <summary>GFLOP/s of [m x k] @ [k x n] in <paramref name="dtype"/> (median of <paramref name="repeat"/> after a warm-up).</summary>
    public static double MatmulGflops(ScalarType dtype, int m = 606, int k = 4096, int n = 4096, int repeat = 5)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = rand(m, k).to(dtype);
        var b = rand(k, n).to(dtype);
        matmul(a, b).Dispose();
        var times = new List<double>();
        for (int i = 0; i < repeat; i++)
        {
            var sw = Stopwatch.StartNew();
            matmul(a, b).Dispose();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return 2.0 * m * k * n / Median(times) / 1e9;
    }

    /// <summary>GB/s of reading a buffer much larger than the caches (a sum over 1 GB of bf16).</summary>
    public static double ReadBandwidthGbs(long bytes = 1L << 30, int repeat = 5)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = ones(bytes / 2, ScalarType.BFloat16);
        x.sum().Dispose();
        var times = new List<double>();
        for (int i = 0; i < repeat; i++)
        {
            var sw = Stopwatch.StartNew();
            x.sum().Dispose();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return bytes / Median(times) / 1e9;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
