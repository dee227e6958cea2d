using System.CommandLine;
using System.Globalization;
using LVPrune.Checkpoints;
using LVPrune.Kernels;
using LVPrune.Models;
using LVPrune.Quantization;
using static TorchSharp.torch;

namespace LVPrune.Cli;

/// <summary>Options shared by the commands that run a model.</summary>
public static class CommonOptions
{
    public static Option<string> Model(bool required = false) => new("--model")
    {
        Description = required ? "model folder (llava-hf layout: config.json, safetensors, tokenizer)" : "model folder (llava-hf layout); default: the bundled toy model",
        Required = required,
    };

    public static Option<string> DType() => new Option<string>("--dtype")
    {
        Description = "weights dtype: auto (bf16 for models over 1B parameters, else fp32), fp32 or bf16",
        DefaultValueFactory = _ => WeightDType.Auto,
    }.AcceptOnlyFromAmong(WeightDType.Names);

    public static Option<string> Compute() => new Option<string>("--compute")
    {
        Description = "compute path: auto (native bf16 where the CPU multiplies bf16, else fp32 activations over the bf16 weights), bf16 or fp32",
        DefaultValueFactory = _ => "auto",
    }.AcceptOnlyFromAmong("auto", "bf16", "fp32");

    public static Option<string> Quantize() => new Option<string>("--quantize")
    {
        Description = "quantize the language model's projections at load: none or int8 (groups of 32, fp16 scales, as llama.cpp's Q8_0); an int8 checkpoint loads as int8 anyway",
        DefaultValueFactory = _ => "none",
    }.AcceptOnlyFromAmong("none", "int8");

    /// <summary><paramref name="baseline"/> (the defaults when null) with the `--compute` and `--quantize` choices.</summary>
    public static RuntimeOptions Runtime(string? compute, string? quantize, RuntimeOptions? baseline = null) => (baseline ?? RuntimeOptions.Default) with
    {
        Compute = compute switch { "bf16" => ComputePreference.Bf16, "fp32" => ComputePreference.Fp32, _ => ComputePreference.Auto },
        Quantize = quantize == "int8" ? Int8Checkpoint.Default : null,
    };

    public static Option<string> Device() => new Option<string>("--device")
    {
        Description = "cpu, or cuda when a CUDA LibTorch is present",
        DefaultValueFactory = _ => "cpu",
    }.AcceptOnlyFromAmong("cpu", "cuda");

    /// <summary>--limit N: the first N items; 0 or less is refused at parse time (it used to run one item).</summary>
    public static Option<int?> Limit(string description)
    {
        var option = new Option<int?>("--limit") { Description = description };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 and var n) result.AddError($"--limit must be at least 1, got {n}");
        });
        return option;
    }

    public static Option<bool> Json() => new("--json") { Description = "print JSON alone on standard output (logs go to standard error)" };

    /// <summary>The bundled toy model, copied next to the executable by the build.</summary>
    public static string BundledModel => Path.Combine(AppContext.BaseDirectory, "assets", "toy-llava");

    public static string ResolveModel(string? model) => model ?? BundledModel;

    /// <summary>
    /// The one adapter rule of every command: --adapter FILE when given; otherwise, when LVPruning is asked
    /// for on the bundled toy model (no --model, or a folder whose model.safetensors is byte-identical to the
    /// bundled one, such as the repository's assets/toy-llava), the adapter beside it; any other model has no
    /// default and needs --adapter. Null when there is no default.
    /// </summary>
    public static string? DefaultAdapter(string modelDir)
    {
        string adapter = Path.Combine(modelDir, "lvpruning.safetensors");
        return File.Exists(adapter) && IsBundledModel(modelDir) ? adapter : null;
    }

    /// <summary>The message for LVPruning without an adapter on a model that has no default one.</summary>
    public static string AdapterNeeded(string what) =>
        $"{what} needs --adapter FILE (a trained LVPruning adapter): only the bundled toy model has a default adapter";

    private static bool IsBundledModel(string modelDir)
    {
        string Full(string d) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d));
        if (Full(modelDir) == Full(BundledModel)) return true;
        string mine = Path.Combine(modelDir, "model.safetensors"), bundled = Path.Combine(BundledModel, "model.safetensors");
        if (!File.Exists(mine) || !File.Exists(bundled) || new FileInfo(mine).Length != new FileInfo(bundled).Length) return false;
        using var a = File.OpenRead(mine);
        using var b = File.OpenRead(bundled);
        return System.Security.Cryptography.SHA256.HashData(a).AsSpan().SequenceEqual(System.Security.Cryptography.SHA256.HashData(b));
    }

    public static Device ParseDevice(string? name)
    {
        if (name is null or "cpu") return CPU;
        if (!cuda.is_available()) throw new LVPruneException("--device cuda: no CUDA device or CUDA LibTorch is available");
        // Under mpirun/srun, one process per GPU: the process's rank on its node picks among the GPUs it sees
        // (srun --gpus-per-task 1 leaves one visible; mpirun on one machine leaves them all).
        if (Distributed.MpiLaunch.Detect() is { LocalRank: { } local }) return new Device(TorchSharp.DeviceType.CUDA, local % cuda.device_count());
        return CUDA;
    }

    /// <summary>Loads a model in the dtype the flag names (<see cref="WeightDType"/>).</summary>
    public static LlavaForConditionalGeneration LoadModel(string dir, string? dtype, string? device, TextWriter log, RuntimeOptions? runtime = null)
    {
        var scalar = Directory.Exists(dir) ? WeightDType.Resolve(dtype, LlavaConfig.Load(dir)) : ScalarType.Float32; // the loader names a missing folder
        return ModelLoader.Load(dir, scalar, ParseDevice(device), log, runtime);
    }

    /// <summary>What a report says about the compute path a model runs (inspect, bench, generate --json).</summary>
    public static Dictionary<string, object?> ComputeReport(LlavaForConditionalGeneration model) => new()
    {
        ["compute_dtype"] = WeightDType.Name(model.ComputeDType),
        ["weight_dtype"] = model.WeightKind,
        ["compute_reason"] = model.Compute.Reason,
        ["kernel_isa"] = model.Compute.Isa?.ToString().ToLowerInvariant(),
    };

    public static string Format(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
