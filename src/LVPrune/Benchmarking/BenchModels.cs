using LVPrune.Checkpoints;
using LVPrune.Models;
using static TorchSharp.torch;
using TorchSharp;

namespace LVPrune.Benchmarking;

/// <summary>
/// Models for timing: a preset architecture with weights filled cheaply (speed does not depend on
/// values; filling 7B weights with normal_() takes minutes, uniform_ takes seconds), or a real folder.
/// </summary>
public static class BenchModels
{
    /// <summary>Builds the architecture and fills every parameter with small uniform values, chunk by chunk;
    /// with <see cref="RuntimeOptions.Quantize"/>, the language model's projections are then quantized as at load.</summary>
    public static LlavaForConditionalGeneration Random(LlavaConfig config, ScalarType dtype, long seed = 0, RuntimeOptions? runtime = null)
    {
        var model = new LlavaForConditionalGeneration(config, dtype, runtime: runtime);
        Fill(model, seed);
        if (model.Runtime.Quantize is { } format)
        {
            ModelLoader.QuantizeLanguageModel(model, format);
            model.UseRuntimeIn(model);
        }
        model.eval();
        model.SetTrainable(false);
        return model;
    }

    public static void Fill(TorchSharp.torch.nn.Module module, long seed)
    {
        using var noGrad = no_grad();
        manual_seed(seed);
        foreach (var (name, p) in module.named_parameters())
        {
            bool norm = name.Contains("norm") || name.Contains("layrnorm");
            if (norm && !name.EndsWith(".bias", StringComparison.Ordinal)) p.fill_(Scalars.One);
            else p.uniform_(-0.02, 0.02);
        }
    }
}
