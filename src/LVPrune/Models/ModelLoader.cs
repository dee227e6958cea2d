using System.Diagnostics;
using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;
using LVPrune.Checkpoints;

namespace LVPrune.Models;

/// <summary>
/// Loads a LLaVA checkpoint folder (config.json + safetensors, sharded or not) strictly: every
/// parameter must be found with its shape; missing keys, unexpected keys and shape mismatches are
/// reported by name. Weights are read one tensor at a time straight into the model's storage in the
/// requested dtype, so the peak is the model plus one tensor.
/// </summary>
public static class ModelLoader
{
    /// <param name="runtime">kernel choices the model keeps (defaults when null)</param>
    public static LlavaForConditionalGeneration Load(string modelDir, ScalarType dtype = ScalarType.Float32, Device? device = null,
                                                     TextWriter? log = null, RuntimeOptions? runtime = null)
    {
        if (!Directory.Exists(modelDir)) throw new LVPruneException($"model folder not found: {modelDir}");
        var config = LlavaConfig.Load(modelDir);
        var sw = Stopwatch.StartNew();
        using var reader = CheckpointReader.Open(modelDir);
        var model = new LlavaForConditionalGeneration(config, dtype, device, runtime);
        try
        {
            LoadWeights(model, reader, modelDir);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        model.SetTrainable(false);
        log?.WriteLine($"loaded {modelDir} ({ParameterCount(model) / 1e6:F1}M parameters, {dtype}) in {sw.Elapsed.TotalSeconds:F1}s");
        return model;
    }

    public static void LoadWeights(nn.Module model, CheckpointReader reader, string source)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var fileKeys = new Dictionary<string, string>(); // canonical -> key in file
        var unexpected = new List<string>();
        foreach (var key in reader.Keys)
        {
            var canonical = CheckpointKeys.Canonical(key);
            if (parameters.ContainsKey(canonical)) fileKeys[canonical] = key;
            else if (!CheckpointKeys.IsIgnored(canonical)) unexpected.Add(key);
        }
        var missing = parameters.Keys.Where(k => !fileKeys.ContainsKey(k)).ToList();
        var mismatched = new List<string>();
        foreach (var (canonical, key) in fileKeys)
        {
            reader.TryGetEntry(key, out var entry);
            if (!entry!.Shape.SequenceEqual(parameters[canonical].shape))
                mismatched.Add($"'{key}' has shape {entry.ShapeText}, the config implies [{string.Join(", ", parameters[canonical].shape)}]");
        }
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var parts = new List<string>();
            if (mismatched.Count > 0) parts.Add($"shape mismatch: {Summarise(mismatched)}");
            if (missing.Count > 0) parts.Add($"missing keys: {Summarise(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected keys: {Summarise(unexpected)}");
            throw new LVPruneException($"{source}: checkpoint does not match config.json ({string.Join("; ", parts)})");
        }
        using var noGrad = no_grad();
        foreach (var (canonical, key) in fileKeys)
        {
            var p = parameters[canonical];
            using var t = reader.Read(key, p.dtype, p.device);
            p.copy_(t);
        }
    }

    private static string Summarise(List<string> items) =>
        items.Count <= 4 ? string.Join(", ", items) : $"{string.Join(", ", items.Take(4))} and {items.Count - 4} more";

    public static long ParameterCount(nn.Module model) => model.parameters().Sum(p => p.numel());

    /// <summary>Writes a model as a llava-hf folder (config.json + safetensors, sharded above <paramref name="maxShardBytes"/>).</summary>
    public static void Save(LlavaForConditionalGeneration model, string dir, long maxShardBytes = 2L << 30, ScalarType? dtype = null)
    {
        Directory.CreateDirectory(dir);
        model.Config.Save(dir);
        using var scope = NewDisposeScope();
        var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => dtype is { } d ? kv.Value.to(d) : kv.Value);
        Safetensors.SaveSharded(dir, tensors, maxShardBytes, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
