using System.Diagnostics;
using LVPrune.Kernels;
using static TorchSharp.torch;

namespace LVPrune.Benchmarking;

/// <summary>
/// Matmul throughput of this machine for a compute path, measured in bounded time: a probe climbs a
/// ladder of shapes up to the 7B prefill shape (606 x 4096 @ 4096 x 4096) and stops as soon as the
/// next rung would overrun its time budget, reporting the rate of the largest rung it ran. So a
/// kernel at 1 GFLOP/s (LibTorch's bf16 on an AVX2-only CPU) costs a fraction of a second, not the
/// minutes that one 606 x 4096 x 4096 product takes there (what MachineProbe.MatmulGflops runs).
/// </summary>
public static class MatmulProbe
{
    /// <summary>Rows, inputs, outputs of each rung; the last is the 7B prefill shape.</summary>
    public static IReadOnlyList<(int M, int K, int N)> Ladder { get; } = [(16, 256, 256), (64, 1024, 1024), (128, 4096, 4096), (606, 4096, 4096)];

    /// <summary>GFLOP/s of the largest rung measured within <paramref name="budget"/>, and that rung.</summary>
    public static (double Gflops, (int M, int K, int N) Shape) Measure(Func<int, int, int, Action> prepare, TimeSpan budget, int repeat = 3)
    {
        var clock = Stopwatch.StartNew();
        double rate = double.NaN;
        (int, int, int) shape = Ladder[0];
        foreach (var (m, k, n) in Ladder)
        {
            double flops = 2.0 * m * k * n;
            // Predict this rung from the last rate: the warm-up and the repeats must fit the budget left.
            if (!double.IsNaN(rate) && (repeat + 1) * flops / (rate * 1e9) > (budget - clock.Elapsed).TotalSeconds) break;
            using var scope = NewDisposeScope();
            var run = prepare(m, k, n);
            run();
            var times = new double[repeat];
            for (int i = 0; i < repeat; i++)
            {
                var sw = Stopwatch.StartNew();
                run();
                times[i] = sw.Elapsed.TotalSeconds;
            }
            rate = flops / Statistics.Median(times) / 1e9;
            shape = (m, k, n);
        }
        return (rate, shape);
    }

    /// <summary>LibTorch's matmul in <paramref name="dtype"/>: [m, k] @ [k, n].</summary>
    public static (double Gflops, (int M, int K, int N) Shape) LibTorch(ScalarType dtype, TimeSpan budget) =>
        Measure((m, k, n) =>
        {
            var a = rand(m, k).to(dtype);
            var b = rand(k, n).to(dtype);
            return () => { using var noGrad = no_grad(); matmul(a, b).Dispose(); };
        }, budget);

    /// <summary><see cref="WeightGemm"/> with bf16 weights [n, k] and fp32 activations [m, k] (the fp32 path's prefill product).</summary>
    public static (double Gflops, (int M, int K, int N) Shape) WeightGemmBf16(KernelIsa isa, TimeSpan budget) =>
        Measure((m, k, n) =>
        {
            var x = rand(m, k);
            var w = rand(n, k).to(ScalarType.BFloat16);
            return () => WeightGemm.Linear(x, w, null, isa).Dispose();
        }, budget);

    /// <summary>How many times faster LibTorch's bf16 matmul is than its fp32 one here, in well under a second.</summary>
    public static double Bf16Speedup()
    {
        var budget = TimeSpan.FromMilliseconds(300);
        return LibTorch(ScalarType.BFloat16, budget).Gflops / LibTorch(ScalarType.Float32, budget).Gflops;
    }

    /// <summary>
    /// The best matmul throughput the runtime has for <paramref name="choice"/>'s path (bench's
    /// machine.matmul_gflops): LibTorch bf16 for the bf16 path; for the fp32 path the faster of
    /// LibTorch's fp32 GEMM and ours on bf16 weights. A few seconds at most on any CPU.
    /// </summary>
    public static double BestGflops(ComputeChoice choice, TimeSpan? budgetPerCandidate = null)
    {
        var budget = budgetPerCandidate ?? TimeSpan.FromSeconds(2);
        if (choice.Path == ComputePath.Bf16) return LibTorch(ScalarType.BFloat16, budget).Gflops;
        double best = LibTorch(ScalarType.Float32, budget).Gflops;
        if (choice.Isa is { } isa) best = Math.Max(best, WeightGemmBf16(isa, budget).Gflops);
        return best;
    }
}
