using System.Text.Json;

namespace LVPrune.Tests.Cli;

/// <summary>`bench` end to end on the toy preset. Serial: its machine probe sets LibTorch's process-wide thread count.</summary>
[Collection(NativeStateCollection.Name)]
public class BenchCommandTests
{
    private static (int code, string stdout, string stderr) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Bench_OnTheToyPreset_ReportsEveryContractField()
    {
        var r = Run("bench", "--preset", "toy", "--method", "none,lvpruning,random,fastv", "--repeat", "1", "--new-tokens", "3", "--dtype", "fp32", "--json");
        Assert.True(r.code == 0, r.stderr);
        using var doc = JsonDocument.Parse(r.stdout);
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["none", "lvpruning", "random", "fastv"], runs.Select(x => x.GetProperty("method").GetString()));
        foreach (var run in runs)
            foreach (var field in new[] { "keep", "ttft_s", "decode_ms_per_token", "vision_s", "peak_rss_gb", "tflops", "gflops_per_s", "compute_dtype", "weight_dtype", "decode_bound_ms" })
                Assert.True(run.TryGetProperty(field, out _), field);
        Assert.All(runs, run => Assert.Equal(("fp32", "fp32"), (run.GetProperty("compute_dtype").GetString(), run.GetProperty("weight_dtype").GetString())));
        var machine = doc.RootElement.GetProperty("machine");
        Assert.True(machine.GetProperty("matmul_gflops").GetDouble() > 0);
        Assert.True(runs[0].GetProperty("decode_bound_ms").GetDouble() > 0);
        Assert.True(runs[1].GetProperty("tflops").GetDouble() < runs[0].GetProperty("tflops").GetDouble());
        // FastV was given LVPruning's cost.
        Assert.InRange(runs[3].GetProperty("tflops").GetDouble() / runs[1].GetProperty("tflops").GetDouble(), 0.97, 1.03);
    }

    /// <summary>bf16 weights forced onto the fp32 path and int8 weights: the runs and the machine say which path ran.</summary>
    [Avx2Fact]
    public void Bench_SaysWhichComputePathAndWeightsRan()
    {
        void Check(params string[] flags)
        {
            var r = Run(["bench", "--preset", "toy", "--repeat", "1", "--new-tokens", "2", "--json", .. flags]);
            Assert.True(r.code == 0, r.stderr);
            using var doc = JsonDocument.Parse(r.stdout);
            var run = doc.RootElement.GetProperty("runs")[0];
            Assert.Equal("fp32", run.GetProperty("compute_dtype").GetString());
            Assert.Equal(flags.Contains("int8") ? "int8" : "bf16", run.GetProperty("weight_dtype").GetString());
            Assert.Equal(run.GetProperty("weight_dtype").GetString(), doc.RootElement.GetProperty("machine").GetProperty("weight_dtype").GetString());
            Assert.True(run.GetProperty("decode_bound_ms").GetDouble() > 0);
        }
        Check("--dtype", "bf16", "--compute", "fp32");
        Check("--dtype", "bf16", "--quantize", "int8");
    }
}
