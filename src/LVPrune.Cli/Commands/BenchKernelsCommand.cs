using System.CommandLine;
using System.Text.Json;
using LVPrune.Benchmarking;
using LVPrune.Kernels;

namespace LVPrune.Cli.Commands;

/// <summary>
/// `lvprune bench-kernels` (hidden, for kernel work): GFLOP/s of every GEMM candidate at the 7B
/// prefill shapes, and GB/s of every decode GEMV candidate, in one run (see Benchmarking/KernelBench.cs).
/// </summary>
public static class BenchKernelsCommand
{
    public static Command Create()
    {
        var rows = new Option<int[]>("--rows") { Description = "prefill rows (tokens) per GEMM", DefaultValueFactory = _ => KernelBench.PrefillRows.ToArray(), AllowMultipleArgumentsPerToken = true };
        var repeat = new Option<int>("--repeat") { Description = "timed runs per candidate (median reported)", DefaultValueFactory = _ => 3 };
        var what = new Option<string>("--only") { Description = "gemm, gemv, attention or all", DefaultValueFactory = _ => "all" }.AcceptOnlyFromAmong("gemm", "gemv", "attention", "all");
        var filter = new Option<string>("--filter") { Description = "run only candidates whose name contains this text (alternatives separated by |)" };
        var json = CommonOptions.Json();
        var cmd = new Command("bench-kernels", "Kernel throughput at the LLaMA-7B shapes: GEMM candidates (GFLOP/s), decode GEMV candidates (GB/s), fp32 decode attention (ms per layer).")
        {
            rows, repeat, what, filter, json,
        };
        cmd.Hidden = true;
        cmd.SetAction(r =>
        {
            int n = r.GetValue(repeat);
            if (n < 1) throw new LVPruneException($"--repeat must be >= 1, got {n}");
            var m = r.GetValue(rows)!;
            if (m.Length == 0 || m.Any(v => v < 1)) throw new LVPruneException("--rows needs positive row counts");
            CliIO.Err.WriteLine($"cpu: {CpuFeatures.Current}; threads: {Environment.ProcessorCount}");
            var results = new List<KernelBenchRow>();
            string only = r.GetValue(what)!;
            if (only is "gemm" or "all") results.AddRange(KernelBench.Gemm(m, KernelBench.LlamaShapes, n, CliIO.Err.WriteLine, r.GetValue(filter)));
            if (only is "gemv" or "all") results.AddRange(KernelBench.Gemv(KernelBench.LlamaShapes, Math.Max(n, 10), CliIO.Err.WriteLine, r.GetValue(filter)));
            if (only is "attention" or "all") results.AddRange(KernelBench.Attention(620, Math.Max(n, 20), CliIO.Err.WriteLine, r.GetValue(filter)));
            if (r.GetValue(json))
                CliIO.Out.WriteLine(JsonSerializer.Serialize(new { cpu = CpuFeatures.Current.ToString(), rows = results },
                    new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            return 0;
        });
        return cmd;
    }
}
