using System.CommandLine;
using System.Text.Json;
using LVPrune.Cli;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Toy;

namespace LVPrune.Tests.Cli;

/// <summary>
/// Every command answers --help, and runs for real through the in-process runner. Real runs not here
/// live beside their contracts: generate and flops in CliErrorTests, forward and sweep in CommandTests, bench in BenchCommandTests,
/// mpi-check in Distributed/ProcessGroupTests.
/// </summary>
public class EveryCommandTests
{
    private static (int code, string stdout, string stderr) Run(params string[] args) => CliRunner.Run(args);

    /// <summary>The documented commands (hidden developer tools such as bench-kernels print no help and are not listed).</summary>
    public static TheoryData<string> Commands() => new(CliApp.Build().Subcommands.Where(c => !c.Hidden).Select(c => c.Name));

    [Fact]
    public void TheCommandSet_IsTheDocumentedOne() =>
        Assert.Equal(["demo", "generate", "eval", "toy-data", "train", "forward", "inspect", "flops", "sweep", "bench", "score", "export", "report", "serve", "mpi-check", "quantize"], CliApp.Build().Subcommands.Where(c => !c.Hidden).Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Commands))]
    public void Help_PrintsUsage_DescribesEveryOption_AndExitsZero(string command)
    {
        var r = Run(command, "--help");
        Assert.Equal(0, r.code);
        Assert.Contains("Usage:", r.stdout);
        Assert.Contains(command, r.stdout);
        Assert.Equal("", r.stderr);
        var cmd = CliApp.Build().Subcommands.Single(c => c.Name == command);
        Assert.All(cmd.Options.Where(o => !o.Hidden && o.Name is not ("--help" or "-h" or "-?")), o => Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{command} {o.Name} has no description"));
    }

    [Fact]
    public void ParseErrors_AreOneErrorLine()
    {
        var r = Run("flops", "--preset", "llava-1.5-7b", "--no-such-flag", "x", "--other", "y");
        Assert.Equal(2, r.code);
        Assert.StartsWith("error: ", r.stderr);
        Assert.Single(r.stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--no-such-flag", r.stderr);
        Assert.Contains("--other", r.stderr);
    }

    [Fact]
    public void ToyData_WritesTheSameFilesForTheSameSeed()
    {
        var dir = Directory.CreateTempSubdirectory("lvprune-toydata").FullName;
        var a = Run("toy-data", "--out", Path.Combine(dir, "a"), "--count", "6", "--seed", "4", "--objects", "1-3", "--image-size", "64");
        var b = Run("toy-data", "--out", Path.Combine(dir, "b"), "--count", "6", "--seed", "4", "--objects", "1-3", "--image-size", "64");
        Assert.True(a.code == 0 && b.code == 0, a.stderr + b.stderr);
        Assert.Equal("", a.stdout); // the summary goes to standard error
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "a", "data.json")));
        var items = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(6, items.Sum(i => i.GetProperty("conversations").GetArrayLength() / 2));
        foreach (var item in items)
        {
            Assert.True(File.Exists(Path.Combine(dir, "a", item.GetProperty("image").GetString()!)));
            Assert.Equal("human", item.GetProperty("conversations")[0].GetProperty("from").GetString());
        }
        var filesA = Directory.EnumerateFiles(Path.Combine(dir, "a"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(dir, "a"), f)).Order().ToList();
        var filesB = Directory.EnumerateFiles(Path.Combine(dir, "b"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(dir, "b"), f)).Order().ToList();
        Assert.Equal(filesA, filesB);
        foreach (var f in filesA.Where(f => !f.EndsWith(".json")))
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a", f)), File.ReadAllBytes(Path.Combine(dir, "b", f)));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void EvalJson_HasTheContractFields_AndPredictionsAreWritten()
    {
        using var ckpt = new TinyCheckpoint();
        var data = Path.Combine(ckpt.Dir, "data");
        ShapesVqaWriter.Write(data, count: 8, seed: 5, minObjects: 1, maxObjects: 2, imageSize: 64);
        var predictions = Path.Combine(ckpt.Dir, "p.jsonl");
        var r = Run("eval", "--model", ckpt.Dir, "--data", Path.Combine(data, "data.json"), "--batch-size", "3", "--max-new-tokens", "2",
                    "--method", "random", "--rho", "0.5", "--predictions", predictions, "--json");
        Assert.True(r.code == 0, r.stderr);
        using var doc = JsonDocument.Parse(r.stdout);
        var root = doc.RootElement;
        Assert.Equal(["accuracy", "families", "pope", "count"], root.EnumerateObject().Select(p => p.Name));
        Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Equal(8, root.GetProperty("count").GetInt32());
        if (root.GetProperty("pope").ValueKind != JsonValueKind.Null)
            Assert.Equal(["precision", "recall", "f1", "yes_ratio"], root.GetProperty("pope").EnumerateObject().Select(p => p.Name));
        var lines = File.ReadAllLines(predictions);
        Assert.Equal(8, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        foreach (var field in new[] { "id", "family", "question", "prediction", "answers", "score" })
            Assert.True(first.RootElement.TryGetProperty(field, out _), field);
    }

    [Fact]
    public void InspectJson_HasTheContractFields_ReadFromHeadersOnly()
    {
        using var ckpt = new TinyCheckpoint();
        var r = Run("inspect", "--model", ckpt.Dir, "--json");
        Assert.True(r.code == 0, r.stderr);
        using var doc = JsonDocument.Parse(r.stdout);
        var root = doc.RootElement;
        foreach (var field in new[] { "path", "config", "parameters", "parameters_by_part", "dtypes_on_disk", "files", "image_tokens", "weights_gb_fp32", "weights_gb_bf16" })
            Assert.True(root.TryGetProperty(field, out _), field);
        using var model = ModelLoader.Load(ckpt.Dir);
        Assert.Equal(ModelLoader.ParameterCount(model), root.GetProperty("parameters").GetInt64());
        Assert.Equal(ckpt.Config.ImageTokens, root.GetProperty("image_tokens").GetInt32());
        Assert.True(root.GetProperty("files").GetInt32() > 1); // the tiny checkpoint is sharded
        var text = Run("inspect", "--model", ckpt.Dir);
        Assert.Equal(0, text.code);
        Assert.Contains("parameters", text.stdout);
    }

    [Fact]
    public void Train_WritesTheAdapter_AndOneLogLinePerStep_ThenTheModelFolder()
    {
        using var ckpt = new TinyCheckpoint();
        var data = Path.Combine(ckpt.Dir, "data");
        ShapesVqaWriter.Write(data, count: 8, seed: 6, minObjects: 1, maxObjects: 2, imageSize: 64);
        string adapter = Path.Combine(ckpt.Dir, "a.safetensors"), checkpoints = Path.Combine(ckpt.Dir, "a.ckpt");
        var r = Run("train", "--model", ckpt.Dir, "--data", Path.Combine(data, "data.json"), "--adapter-out", adapter, "--checkpoint-dir", checkpoints,
                    "--batch-size", "2", "--max-steps", "3", "--save-every", "0", "--lr", "1e-3", "--lambda-attn", "1");
        Assert.True(r.code == 0, r.stderr);
        Assert.Equal("", r.stdout);
        using (var model = ModelLoader.Load(ckpt.Dir))
        using (var loaded = LVPruningAdapter.Load(adapter, model))
            Assert.Equal(KeepRatios.DefaultLayers(ckpt.Config.TextConfig.NumHiddenLayers), loaded.Layers);
        var log = File.ReadAllLines(Path.Combine(checkpoints, "train_log.jsonl"));
        Assert.Equal(3, log.Length);
        for (int i = 0; i < log.Length; i++)
        {
            using var line = JsonDocument.Parse(log[i]);
            Assert.Equal(i + 1, line.RootElement.GetProperty("step").GetInt32());
            foreach (var field in new[] { "loss", "lr", "grad_norm", "samples_per_s", "lm_loss", "ratio_loss", "attn_loss", "keep_0", "target_0" })
                Assert.True(line.RootElement.TryGetProperty(field, out _), field);
        }

        string output = Path.Combine(ckpt.Dir, "trained");
        var m = Run("train", "--model", ckpt.Dir, "--data", Path.Combine(data, "data.json"), "--out", output, "--train", "multi_modal_projector",
                    "--batch-size", "2", "--max-steps", "1", "--save-every", "0");
        Assert.True(m.code == 0, m.stderr);
        using var trained = ModelLoader.Load(output);
        Assert.Equal(ckpt.Config.TextConfig.HiddenSize, trained.Config.TextConfig.HiddenSize);
    }

    [Fact]
    public void Demo_AnswersEveryFamily_WithAndWithoutPruning_AndWritesItsPictures()
    {
        var dir = Directory.CreateTempSubdirectory("lvprune-demo").FullName;
        var r = Run("demo", "--out", dir, "--seed", "7");
        Assert.True(r.code == 0, r.stderr);
        Assert.Contains("lvpruning:", r.stdout);
        Assert.Contains("correct:", r.stdout);
        Assert.True(new FileInfo(Path.Combine(dir, "demo-scene.png")).Length > 1000);
        Assert.True(new FileInfo(Path.Combine(dir, "demo-pruning.png")).Length > 1000);
        Directory.Delete(dir, true);
    }
}
