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
        Description = "weights dtype: fp32 or bf16 (default: bf16 for models over 1B parameters, else fp32)",
    }.AcceptOnlyFromAmong("fp32", "bf16");

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

    /// <summary>Loads a model; dtype null picks bf16 above 1B parameters (fp32 7B does not fit in 24 GB), else fp32.</summary>
    public static LlavaForConditionalGeneration LoadModel(string dir, string? dtype, string? device, TextWriter log)
    {
        var scalar = dtype switch
        {
            "fp32" => ScalarType.Float32,
            "bf16" => ScalarType.BFloat16,
            _ => LargeModel(dir) ? ScalarType.BFloat16 : ScalarType.Float32,
        };
        return ModelLoader.Load(dir, scalar, ParseDevice(device), log);
    }

    private static bool LargeModel(string dir)
    {
        try
        {
            var c = LlavaConfig.Load(dir).TextConfig;
            return 12L * c.NumHiddenLayers * c.HiddenSize * c.HiddenSize > 1_000_000_000L;
        }
        catch (LVPruneException) { return false; } // the loader reports the real problem
    }

    public static string Format(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
