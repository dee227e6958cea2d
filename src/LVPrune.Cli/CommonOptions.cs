using System.CommandLine;
using System.Globalization;
using LVPrune.Checkpoints;
using LVPrune.Models;
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

    public static Option<string> Device() => new Option<string>("--device")
    {
        Description = "cpu, or cuda when a CUDA LibTorch is present",
        DefaultValueFactory = _ => "cpu",
    }.AcceptOnlyFromAmong("cpu", "cuda");

    public static Option<bool> Json() => new("--json") { Description = "print JSON alone on standard output (logs go to standard error)" };

    /// <summary>The bundled toy model, copied next to the executable by the build.</summary>
    public static string BundledModel => Path.Combine(AppContext.BaseDirectory, "assets", "toy-llava");

    public static string ResolveModel(string? model) => model ?? BundledModel;

    public static Device ParseDevice(string? name)
    {
        if (name is null or "cpu") return CPU;
        if (!cuda.is_available()) throw new LVPruneException("--device cuda: no CUDA device or CUDA LibTorch is available");
        return CUDA;
    }

    /// <summary>Loads a model in the dtype the flag names (<see cref="WeightDType"/>).</summary>
    public static LlavaForConditionalGeneration LoadModel(string dir, string? dtype, string? device, TextWriter log)
    {
        var scalar = Directory.Exists(dir) ? WeightDType.Resolve(dtype, LlavaConfig.Load(dir)) : ScalarType.Float32; // the loader names a missing folder
        return ModelLoader.Load(dir, scalar, ParseDevice(device), log);
    }

    public static string Format(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
