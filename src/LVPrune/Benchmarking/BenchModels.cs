using LVPrune.Checkpoints;
using LVPrune.Models;
using LVPrune.Toy;
using static TorchSharp.torch;

namespace LVPrune.Benchmarking;

/// <summary>
/// Models for timing: a preset architecture with weights filled cheaply (speed does not depend on
/// values; filling 7B weights with normal_() takes minutes, uniform_ takes seconds), or a real folder.
/// </summary>
public static class BenchModels
{
    /// <summary>llava-hf/llava-1.5-7b-hf's config.json (vocab 32064 with the added tokens, pad 32001).</summary>
    public static LlavaConfig Llava15_7B => new()
    {
        Architectures = ["LlavaForConditionalGeneration"],
        ImageTokenIndex = 32000,
        PadTokenId = 32001,
        TextConfig = new LlamaConfig { VocabSize = 32064, RmsNormEps = 1e-5, MaxPositionEmbeddings = 4096 },
        VisionConfig = ClipVisionConfig.ClipVitL14_336,
    };

    public static LlavaConfig Preset(string name) => name switch
    {
        "llava-1.5-7b" => Llava15_7B,
        "toy" => ToyModel.Config(vocabSize: 600, imageTokenId: 598, padId: 599),
        _ => throw new LVPruneException($"--preset '{name}' is not one of llava-1.5-7b, toy"),
    };

    /// <summary>Builds the architecture and fills every parameter with small uniform values, chunk by chunk.</summary>
    public static LlavaForConditionalGeneration Random(LlavaConfig config, ScalarType dtype, long seed = 0)
    {
        var model = new LlavaForConditionalGeneration(config, dtype);
        Fill(model, seed);
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
            if (norm && !name.EndsWith(".bias", StringComparison.Ordinal)) p.fill_(1);
            else p.uniform_(-0.02, 0.02);
        }
    }
}
