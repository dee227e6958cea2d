using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LVPrune.Generation;
using LVPrune.Models;
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
        return 2.0 * m * k * n / MedianSeconds(repeat, () => matmul(a, b).Dispose()) / 1e9;
    }

    /// <summary>GB/s of reading a buffer much larger than the caches (a sum over 1 GB of bf16).</summary>
    public static double ReadBandwidthGbs(long bytes = 1L << 30, int repeat = 5)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = ones(bytes / 2, ScalarType.BFloat16);
        return bytes / MedianSeconds(repeat, () => x.sum().Dispose()) / 1e9;
    }

    /// <summary>
    /// GB/s of a plain streaming read of 1 GB on every core (vector loads summed as integers), which
    /// no kernel that reads weights can beat. The decode bound uses the larger of this and
    /// <see cref="ReadBandwidthGbs"/>, so a fast kernel cannot make the bound look easy.
    /// </summary>
    public static double StreamReadGbs(long bytes = 1L << 30, int repeat = 5)
    {
        using var scope = NewDisposeScope();
        var x = ones(bytes / 8, ScalarType.Int64);
        long n = x.numel();
        int parts = Environment.ProcessorCount * 4;
        unsafe
        {
            long* p = (long*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(x.bytes));
            long Part(int i)
            {
                long from = n * i / parts, to = n * (i + 1) / parts;
                var acc = Vector256<long>.Zero;
                long j = from;
                for (; j + 4 <= to; j += 4) acc += Vector256.Load(p + j);
                long s = Vector256.Sum(acc);
                for (; j < to; j++) s += p[j];
                return s;
            }
            long Read() { long total = 0; Parallel.For(0, parts, i => Interlocked.Add(ref total, Part(i))); return total; }
            if (Read() != n) throw new InvalidOperationException("stream read probe: wrong sum");
            return bytes / MedianSeconds(repeat, () => Read()) / 1e9;
        }
    }

    /// <summary>
    /// GB/s of weight read by one decode-shaped product, x [1, k] times W [n, k] in bf16 (the LLaMA
    /// MLP's up projection at the 7B shape): LibTorch's kernel, or <see cref="Bf16Gemv"/>.
    /// </summary>
    public static double GemvGbs(bool libTorch, int k = 4096, int n = 11008, int repeat = 20)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(1, k).to(ScalarType.BFloat16);
        var weights = Enumerable.Range(0, 8).Select(_ => rand(n, k).to(ScalarType.BFloat16)).ToArray(); // 8 x 90 MB: more than the caches
        Tensor Run(Tensor w) => libTorch || !Bf16Gemv.Supported ? nn.functional.linear(x, w) : Bf16Gemv.Linear(x, w, null);
        foreach (var w in weights) Run(w).Dispose();
        // As in decoding: LibTorch single-threaded while the kernel runs (DecodeThreads).
        using var threads = libTorch ? null : DecodeThreads.EnterForKernel();
        int next = 0;
        return 2.0 * n * k / MedianSeconds(repeat, () => Run(weights[next++ % weights.Length]).Dispose(), warmUp: false) / 1e9;
    }

    /// <summary>Median wall time of <paramref name="repeat"/> runs of <paramref name="run"/>, after one untimed warm-up run.</summary>
    private static double MedianSeconds(int repeat, Action run, bool warmUp = true)
    {
        if (warmUp) run();
        var times = new List<double>(repeat);
        for (int i = 0; i < repeat; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return Statistics.Median(times);
    }
}
