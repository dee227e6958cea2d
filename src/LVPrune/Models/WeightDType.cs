using LVPrune.Checkpoints;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// The `--dtype` choice, in one place for every command that loads or builds a model: auto (the
/// default), fp32 or bf16. Auto is bf16 above 1B parameters (fp32 7B weights, 28 GB, do not fit in
/// 24 GB), else fp32. Only the size decides today; a rule that also weighs the CPU (bf16 without
/// native bf16 arithmetic is slow) belongs here.
/// </summary>
public static class WeightDType
{
    public const string Auto = "auto";

    /// <summary>The names the flag accepts.</summary>
    public static string[] Names { get; } = [Auto, "fp32", "bf16"];

    /// <summary>The dtype <paramref name="name"/> means for a model of <paramref name="config"/> (null = auto).</summary>
    public static ScalarType Resolve(string? name, LlavaConfig config) => name switch
    {
        null or Auto => Choose(config),
        "fp32" => ScalarType.Float32,
        "bf16" => ScalarType.BFloat16,
        _ => throw new LVPruneException($"--dtype '{name}' is not one of {string.Join(", ", Names)}"),
    };

    /// <summary>What auto picks for <paramref name="config"/>.</summary>
    public static ScalarType Choose(LlavaConfig config) => ApproximateParameters(config.TextConfig) > 1_000_000_000L ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>The command-line name of a dtype (fp32, bf16).</summary>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "fp32",
        ScalarType.BFloat16 => "bf16",
        _ => dtype.ToString(),
    };

    /// <summary>The decoder's weights, about 12 d^2 per layer: the size auto judges by.</summary>
    private static long ApproximateParameters(LlamaConfig c) => 12L * c.NumHiddenLayers * c.HiddenSize * c.HiddenSize;
}
