using System.Text.Json.Nodes;
using LVPrune.Cli;
using LVPrune.Tests.Benchmarks;
using LVPrune.Tests.Cli;

namespace LVPrune.Tests.Distributed;

/// <summary>`mpirun -np 2 lvprune eval --benchmark` on the bundled toy model against the same run in one process.</summary>
[Collection(MpiJobsCollection.Name)]
public class DistributedBenchmarkTests(ToyBenchmarkData data) : IClassFixture<ToyBenchmarkData>
{
    private string[] Vqav2(string answers) =>
    [
        "eval", "--benchmark", "vqav2", "--questions", data.P("vqav2", "llava_vqav2_mscoco_val2014.jsonl"), "--images", data.P("vqav2", "images"),
        "--answers", answers, "--annotations", data.P("vqav2", "v2_mscoco_val2014_annotations.json"),
        "--adapter", Path.Combine(CommonOptions.BundledModel, "lvpruning.safetensors"), "--rho", "0.5", "--batch-size", "4", "--json",
    ];

    [MpiFact(MpiFamily.OpenMpi)]
    public void TwoProcesses_WriteTheAnswerFileOneProcessWrites_AndScoreIt()
    {
        string one = data.P("vqav2", "mpi-one.jsonl"), two = data.P("vqav2", "mpi-two.jsonl");
        var (codeOne, stdoutOne, stderrOne) = CliRunner.Run(Vqav2(one));
        Assert.True(codeOne == 0, stderrOne);
        var (code, stdout, stderr) = MpiRun.Cli(MpiFamily.OpenMpi, 2, Vqav2(two));
        Assert.True(code == 0, $"exit {code}\n{stderr}");

        Assert.Equal(12, File.ReadAllLines(two).Length);
        Assert.Equal(BenchmarkEndToEndTests.Comparable(one), BenchmarkEndToEndTests.Comparable(two)); // but answer ids and measured times
        // Rank 0 alone printed the score (standard output holds the one JSON document), the same as one process's.
        var (scoreOne, scoreTwo) = (JsonNode.Parse(stdoutOne)!, JsonNode.Parse(stdout)!);
        Assert.Equal(scoreOne["accuracy"]!.GetValue<double>(), scoreTwo["accuracy"]!.GetValue<double>());
        Assert.Equal(12, scoreTwo["count"]!.GetValue<int>());
        Assert.Equal(scoreOne["config"]!["tflops"]!.GetValue<double>(), scoreTwo["config"]!["tflops"]!.GetValue<double>());
        Assert.Equal(scoreOne["config"]!["mean_kept_tokens"]!.GetValue<double>(), scoreTwo["config"]!["mean_kept_tokens"]!.GetValue<double>());
        // The shard files are gone; only the merged file remains.
        Assert.Empty(Directory.GetFiles(data.P("vqav2"), "mpi-two.jsonl.shard-*"));
    }
}
