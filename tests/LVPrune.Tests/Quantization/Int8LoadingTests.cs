using System.Text.Json;
using LVPrune.Checkpoints;
using LVPrune.Cli;
using LVPrune.Models;
using LVPrune.Quantization;
using LVPrune.Tests.Cli;
using LVPrune.Tests.Toy;
using static TorchSharp.torch;

namespace LVPrune.Tests.Quantization;

/// <summary>int8 checkpoints through the loader: quantize -> save -> load, and bad files rejected by name.</summary>
public class Int8LoadingTests
{
    private static LlavaBatch Batch(LlavaConfig cfg) =>
        TinyModels.Batch(cfg, [[1, 5, cfg.ImageTokenIndex, 9, 12], [1, cfg.ImageTokenIndex, 30, 31, 32, 33]], TinyModels.Pixels(2, 3, cfg.VisionConfig.ImageSize));

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static Tensor Logits(LlavaForConditionalGeneration model, LlavaBatch batch)
    {
        using var _ = no_grad();
        return model.Forward(batch).Logits!;
    }

    /// <summary>
    /// The bundled toy model written by `quantize` and loaded back is int8 in every language-model
    /// projection and computes exactly what the original computes when quantized at load.
    /// </summary>
    [Avx2Fact]
    public void QuantizeSaveLoad_RoundTrip_EqualsQuantizingAtLoad()
    {
        using var dir = new TempFolder();
        CheckpointQuantizer.Quantize(CommonOptions.BundledModel, dir.Path, Int8Checkpoint.Default);
        using var loaded = ModelLoader.Load(dir.Path, ScalarType.Float32);
        using var atLoad = ModelLoader.Load(CommonOptions.BundledModel, ScalarType.Float32, runtime: RuntimeOptions.Default with { Quantize = Int8Checkpoint.Default });
        Assert.True(loaded.Quantized);
        Assert.Equal("int8", loaded.WeightKind);
        var int8Layers = loaded.named_modules().Where(m => m.module is Linear { Quantized: not null }).Select(m => m.name).ToList();
        Assert.Equal(8 * 7, int8Layers.Count);
        Assert.All(int8Layers, n => Assert.StartsWith("language_model.model.layers.", n));
        foreach (var (name, module) in atLoad.named_modules())
            if (module is Linear { Quantized: { } q })
            {
                var other = (Linear)loaded.named_modules().Single(m => m.name == name).module;
                Assert.True(Same(q.Values, other.Quantized!.Values) && Same(q.Scales, other.Quantized.Scales), $"{name} differs");
            }
        var batch = Batch(loaded.Config);
        Assert.True(Same(Logits(loaded, batch), Logits(atLoad, batch)), "a loaded int8 checkpoint computes what quantizing at load computes");
    }

    /// <summary>Rewrites the quantized folder's single file with a change to its tensors or metadata.</summary>
    private static string Corrupt(TempFolder dir, Action<Dictionary<string, TorchSharp.torch.Tensor>, Dictionary<string, string>> change)
    {
        CheckpointQuantizer.Quantize(CommonOptions.BundledModel, dir.Path, Int8Checkpoint.Default);
        string file = Path.Combine(dir.Path, "model.safetensors");
        Dictionary<string, string> metadata;
        using (var f = SafetensorsFile.Open(file)) metadata = f.Metadata.ToDictionary();
        var tensors = Safetensors.Load(file);
        change(tensors, metadata);
        Safetensors.Save(file, tensors, metadata);
        return dir.Path;
    }

    private const string Up = "language_model.model.layers.3.mlp.up_proj.weight";

    [Fact]
    public void MissingScales_AreRejectedByName()
    {
        using var folder = new TempFolder();
        string dir = Corrupt(folder, (t, _) => t.Remove(Up + "_scale"));
        var ex = Assert.Throws<LVPruneException>(() => ModelLoader.Load(dir, ScalarType.Float32).Dispose());
        Assert.Contains($"int8 weight '{Up}' has no scales '{Up}_scale'", ex.Message);
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Fact]
    public void AWrongGroupSize_IsRejectedByName()
    {
        using var folder = new TempFolder();
        string dir = Corrupt(folder, (_, m) => m[Int8Checkpoint.GroupSizeKey] = "64");
        var ex = Assert.Throws<LVPruneException>(() => ModelLoader.Load(dir, ScalarType.Float32).Dispose());
        Assert.Contains("_scale'", ex.Message);
        Assert.Contains("groups of 64", ex.Message);
        Assert.Contains("wrong group size", ex.Message);
        using var other = new TempFolder();
        string bad = Corrupt(other, (_, m) => m[Int8Checkpoint.GroupSizeKey] = "48");
        Assert.Contains("'quantization.group_size' is '48'", Assert.Throws<LVPruneException>(() => ModelLoader.Load(bad, ScalarType.Float32).Dispose()).Message);
    }

    [Fact]
    public void Int8TensorsWithoutTheFormatsMetadata_AreRejectedByName()
    {
        using var folder = new TempFolder();
        string dir = Corrupt(folder, (_, m) => m.Remove(Int8Checkpoint.QuantizationKey));
        var ex = Assert.Throws<LVPruneException>(() => ModelLoader.Load(dir, ScalarType.Float32).Dispose());
        Assert.Contains("is I8 but the file's metadata declares no 'quantization'", ex.Message);
    }

    /// <summary>The CLI end to end: `quantize`, then `generate --json` on the result says int8 weights on fp32 compute; bad flags exit 2.</summary>
    [Avx2Fact]
    public void QuantizeCommand_ThenGenerate_ReportsTheInt8Path()
    {
        using var dir = new TempFolder();
        string output = Path.Combine(dir.Path, "q8");
        var q = CliRunner.Run("quantize", "--model", CommonOptions.BundledModel, "--out", output, "--json");
        Assert.True(q.code == 0, q.stderr);
        Assert.Equal(56, JsonDocument.Parse(q.stdout).RootElement.GetProperty("quantized").GetArrayLength());
        using var data = new TempFolder();
        Assert.Equal(0, CliRunner.Run("toy-data", "--out", data.Path, "--count", "1", "--seed", "3").code);
        string image = Directory.EnumerateFiles(data.Path, "*.png", SearchOption.AllDirectories).First();
        var g = CliRunner.Run("generate", "--model", output, "--image", image, "--question", "What color is the circle?", "--max-new-tokens", "3", "--json");
        Assert.True(g.code == 0, g.stderr);
        var compute = JsonDocument.Parse(g.stdout).RootElement.GetProperty("compute");
        Assert.Equal("int8", compute.GetProperty("weight_dtype").GetString());
        Assert.Equal("fp32", compute.GetProperty("compute_dtype").GetString());
        var bad = CliRunner.Run("generate", "--model", output, "--image", image, "--question", "x", "--compute", "bf16");
        Assert.Equal(2, bad.code);
        Assert.Contains("--compute bf16 cannot run int8 weights", bad.stderr);
    }
}
