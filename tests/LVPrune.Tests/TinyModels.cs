using LVPrune.Checkpoints;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Tests;

/// <summary>Tiny LLaVA configurations and models for tests (random weights, llava-hf layout).</summary>
public static class TinyModels
{
    public const int ImageTokenId = 60;
    public const int PadId = 61;

    /// <summary>CLIP 28 px / patch 7 (16 patches), 3 vision layers; LLaMA with GQA (4 heads, 2 KV heads).</summary>
    public static LlavaConfig Config(int textLayers = 4, string strategy = "default", int featureLayer = -2) => new()
    {
        Architectures = ["LlavaForConditionalGeneration"],
        ImageTokenIndex = ImageTokenId,
        PadTokenId = PadId,
        VisionFeatureSelectStrategy = strategy,
        VisionFeatureLayer = featureLayer,
        VisionConfig = new ClipVisionConfig
        {
            HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 3, NumAttentionHeads = 4,
            ImageSize = 28, PatchSize = 7, ProjectionDim = 16,
        },
        TextConfig = new LlamaConfig
        {
            VocabSize = 64, HiddenSize = 32, IntermediateSize = 80, NumHiddenLayers = textLayers,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, RmsNormEps = 1e-5, MaxPositionEmbeddings = 256,
            RopeTheta = 10000, PadTokenId = PadId,
        },
    };

    public static LlavaForConditionalGeneration Create(LlavaConfig? config = null, long seed = 1, ScalarType dtype = ScalarType.Float32,
                                                       RuntimeOptions? runtime = null)
    {
        var model = new LlavaForConditionalGeneration(config ?? Config(), dtype, runtime: runtime);
        WeightInit.Initialize(model, seed, std: 0.2, perturbNorms: true);
        model.eval();
        return model;
    }

    public static Tensor Pixels(int batch, long seed, int size = 28)
    {
        var gen = new TorchSharp.torch.Generator((ulong)seed);
        return randn([batch, 3, size, size], generator: gen);
    }

    /// <summary>A prompt: BOS, some text, the image token, more text.</summary>
    public static long[] Prompt(int seed, int before = 2, int after = 5)
    {
        var rng = new Random(seed);
        var ids = new List<long> { 1 };
        for (int i = 0; i < before; i++) ids.Add(rng.Next(3, 59));
        ids.Add(ImageTokenId);
        for (int i = 0; i < after; i++) ids.Add(rng.Next(3, 59));
        return ids.ToArray();
    }

    /// <summary>Two prompts of different lengths whose last two tokens are supervised (the rest -100).</summary>
    public static LlavaBatch SupervisedBatch()
    {
        var prompts = new[] { Prompt(1), Prompt(2, 3, 3) };
        var labels = prompts.Select(p => (IReadOnlyList<long>)p.Select((t, i) => i >= p.Length - 2 ? t : LlavaBatch.IgnoreIndex).ToArray()).ToList();
        return LlavaBatch.FromTokens(prompts.Select(p => (IReadOnlyList<long>)p).ToList(), Pixels(2, 1), ImageTokenId, 16, PadId, labels);
    }

    public static LlavaBatch Batch(LlavaConfig cfg, IReadOnlyList<long[]> prompts, Tensor pixels) =>
        LlavaBatch.FromTokens(prompts.Select(p => (IReadOnlyList<long>)p).ToList(), pixels, cfg.ImageTokenIndex, cfg.ImageTokens, PadId);
}
