using System.Text.Json;
using LVPrune.Checkpoints;
using LVPrune.Cli;
using LVPrune.Pruning;
using LVPrune.Toy;
using LVPrune.Models;

namespace LVPrune.Tests.Cli;

/// <summary>The commands end to end on tiny models: their JSON contracts and the files they write.</summary>
public class CommandTests
{
    private static (int code, string stdout, string stderr) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Sweep_WritesResultsTableAndPlot()
    {
        using var ckpt = new TinyCheckpoint();
        using (var model = ModelLoader.Load(ckpt.Dir))
        using (var adapter = LVPruningAdapter.Create(model, [0.5, 0.3, 0.1], seed: 1))
            adapter.Save(Path.Combine(ckpt.Dir, "lvpruning.safetensors"));
        var data = Path.Combine(ckpt.Dir, "data");
        ShapesVqaWriter.Write(data, count: 12, seed: 3, minObjects: 2, maxObjects: 3, imageSize: 64);
        var output = Path.Combine(ckpt.Dir, "sweep");
        var r = Run("sweep", "--model", ckpt.Dir, "--adapter", Path.Combine(ckpt.Dir, "lvpruning.safetensors"), "--data", Path.Combine(data, "data.json"), "--rho", "0.6,0.5", "--out", output);
        Assert.True(r.code == 0, r.stderr);
        var rows = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json"))).RootElement.EnumerateArray().ToList();
        Assert.Equal(1 + 2 * 3, rows.Count); // none + (lvpruning, random, fastv) x 2 budgets
        Assert.Contains("| lvpruning | 0.5 |", File.ReadAllText(Path.Combine(output, "results.md")));
        Assert.True(new FileInfo(Path.Combine(output, "tradeoff.png")).Length > 1000);
    }

    [Fact]
    public void ForwardWithKeepPlan_WritesLogitsForTheKeptTokens()
    {
        using var ckpt = new TinyCheckpoint();
        var inputs = Path.Combine(ckpt.Dir, "in.safetensors");
        var ids = TorchSharp.torch.tensor(new long[] { 1, 300, ckpt.Config.ImageTokenIndex, 301, 302 }).view(1, 5);
        Safetensors.Save(inputs, new Dictionary<string, TorchSharp.torch.Tensor> { ["input_ids"] = ids, ["pixel_values"] = TinyModels.Pixels(1, 2) });
        var plan = Path.Combine(ckpt.Dir, "plan.json");
        File.WriteAllText(plan, """{"stages":[{"after_layer":1,"keep_image_tokens":[0,3,5]}]}""");
        var output = Path.Combine(ckpt.Dir, "out.safetensors");
        var r = Run("forward", "--model", ckpt.Dir, "--inputs", inputs, "--out", output, "--keep-plan", plan, "--generate", "4");
        Assert.True(r.code == 0, r.stderr);
        var t = Safetensors.Load(output);
        Assert.Equal(new long[] { 1, 4 + 3, ckpt.Config.TextConfig.VocabSize }, t["logits"].shape);       // 4 text + 3 kept image tokens
        Assert.Equal(new long[] { 1, 16, 32 }, t["image_features"].shape);
        Assert.Equal(new long[] { 1, 4 }, t["generated_ids"].shape);
        Assert.Equal(new long[] { 0, 1, 2, 5, 7, 18, 19 }, t["kept_token_indices"].data<long>().ToArray());
        var bad = Run("forward", "--model", ckpt.Dir, "--inputs", inputs, "--out", output, "--keep-plan", plan, "--method", "random");
        Assert.Equal(2, bad.code);
    }
}
