using System.Diagnostics;
using LVPrune.Checkpoints;
using LVPrune.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Loads a LLaVA checkpoint folder (config.json + safetensors, sharded or not) strictly: every
/// parameter must be found with its shape; missing keys, unexpected keys and shape mismatches are
/// reported by name. Weights are read one tensor at a time straight into the model's storage in the
/// requested dtype, so the peak is the model plus one tensor. An int8 checkpoint (<see cref="Int8Checkpoint"/>,
/// written by `lvprune quantize`) loads as int8: each I8 weight with its scales, checked by name;
/// `--quantize int8` (<see cref="RuntimeOptions.Quantize"/>) quantizes a bf16/fp32 checkpoint's
/// language-model projections layer by layer after loading.
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
        var stored = StoredInt8Format(reader);
        runtime ??= RuntimeOptions.Default;
        if (stored is not null) runtime = runtime with { Quantize = stored };
        var model = new LlavaForConditionalGeneration(config, dtype, device, runtime);
        try
        {
            LoadWeights(model, reader, modelDir, stored);
            if (stored is null && runtime.Quantize is { } format) QuantizeLanguageModel(model, format);
            model.UseRuntimeIn(model); // int8 layers get their products
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        model.SetTrainable(false);
        log?.WriteLine($"loaded {modelDir} ({ParameterCount(model) / 1e6:F1}M parameters, {model.WeightKind} weights{(stored is not null ? " as stored" : "")}) in {sw.Elapsed.TotalSeconds:F1}s; "
                       + $"compute {WeightDType.Name(model.ComputeDType)}: {model.Compute.Reason}");
        return model;
    }

    /// <summary>
    /// The int8 format the checkpoint's files declare (null: not quantized), after checking every
    /// declaring file's int8 weights and scales (<see cref="Int8Checkpoint.Validate"/>: missing scales,
    /// wrong group size or scale dtype are rejected by file and key) and that no file holds int8
    /// tensors without declaring it or declares another format.
    /// </summary>
    public static Int8Checkpoint? StoredInt8Format(CheckpointReader reader)
    {
        Int8Checkpoint? format = null;
        foreach (var file in reader.Files)
        {
            var declared = Int8Checkpoint.FromMetadata(file.Metadata, file.Path);
            if (declared is null)
            {
                if (file.Entries.Values.FirstOrDefault(e => e.DType == "I8") is { } stray)
                    throw new LVPruneException($"{file.Path}: tensor '{stray.Name}' is I8 but the file's metadata declares no '{Int8Checkpoint.QuantizationKey}'");
                continue;
            }
            if (format is not null && declared != format)
                throw new LVPruneException($"{file.Path}: int8 groups of {declared.GroupSize} with {declared.ScaleDType} scales, another file of the checkpoint has {format.GroupSize} with {format.ScaleDType}");
            format = declared;
            declared.Validate(file);
        }
        return format;
    }

    /// <summary>Quantizes the language model's projections (<see cref="Int8Checkpoint.IsLanguageModelLinear"/>) one layer at a time.</summary>
    public static void QuantizeLanguageModel(LlavaForConditionalGeneration model, Int8Checkpoint format)
    {
        using var noGrad = no_grad();
        foreach (var (name, module) in model.named_modules())
            if (module is Linear linear && linear.Quantized is null && Int8Checkpoint.IsLanguageModelLinear(name + ".weight"))
                linear.UseQuantized(format.Quantize(linear.weight));
    }

    /// <param name="int8">the checkpoint's int8 format (<see cref="StoredInt8Format"/>): its I8 weights load into their layers as int8 with their scales</param>
    public static void LoadWeights(nn.Module model, CheckpointReader reader, string source, Int8Checkpoint? int8 = null)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var linears = model.named_modules().Where(m => m.module is Linear).ToDictionary(m => m.name + ".weight", m => (Linear)m.module);
        var files = reader.Files.SelectMany(f => f.Entries.Keys.Select(k => (k, f))).ToDictionary(kf => kf.k, kf => kf.f);
        var fileKeys = new Dictionary<string, string>(); // canonical -> key in file
        var unexpected = new List<string>();
        foreach (var key in reader.Keys)
        {
            if (int8 is not null && key.EndsWith(Int8Checkpoint.ScaleSuffix, StringComparison.Ordinal)) continue; // checked with its weight
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
            if (reader.TryGetEntry(key, out var stored) && stored.DType == "I8")
            {
                if (!linears.TryGetValue(canonical, out var linear))
                    throw new LVPruneException($"{files[key].Path}: '{key}' is int8, but only linear layers' weights can be");
                linear.UseQuantized(int8!.Read(files[key], key));
                continue;
            }
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
