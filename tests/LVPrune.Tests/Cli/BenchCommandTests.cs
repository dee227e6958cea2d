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
            foreach (var field in new[] { "keep", "ttft_s", "decode_ms_per_token", "vision_s", "peak_rss_gb", "tflops", "gflops_per_s" })
                Assert.True(run.TryGetProperty(field, out _), field);
        Assert.True(runs[1].GetProperty("tflops").GetDouble() < runs[0].GetProperty("tflops").GetDouble());
        // FastV was given LVPruning's cost.
        Assert.InRange(runs[3].GetProperty("tflops").GetDouble() / runs[1].GetProperty("tflops").GetDouble(), 0.97, 1.03);
    }
}
