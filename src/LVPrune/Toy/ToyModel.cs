using System.Text.Json;
using LVPrune.Checkpoints;
using LVPrune.Models;
using LVPrune.Text;

namespace LVPrune.Toy;

/// <summary>
/// The toy LLaVA: the real architecture and checkpoint layout at a size a 2-core CPU trains in
/// minutes. CLIP at 192 px with 16 px patches gives 144 image tokens (so pruning has room to work);
/// an 8-layer LLaMA puts LVPruning's stages after layers 0, 1 and 3 (after the first layer, a
/// quarter and half way). The tokenizer has one token per word of the ShapesVQA world.
/// </summary>
public static class ToyModel
{
    public const int ImageSize = 192;
    public const int PatchSize = 16;

    public static LlavaConfig Config(int vocabSize, int imageTokenId, int padId) => new()
    {
        Architectures = ["LlavaForConditionalGeneration"],
        ImageTokenIndex = imageTokenId,
        PadTokenId = padId,
        ImageSeqLength = (ImageSize / PatchSize) * (ImageSize / PatchSize),
        VisionConfig = new ClipVisionConfig
        {
            HiddenSize = 128, IntermediateSize = 512, NumHiddenLayers = 4, NumAttentionHeads = 4,
            ImageSize = ImageSize, PatchSize = PatchSize, ProjectionDim = 128, HiddenAct = "quick_gelu",
        },
        TextConfig = new LlamaConfig
        {
            VocabSize = vocabSize, HiddenSize = 128, IntermediateSize = 384, NumHiddenLayers = 8,
            NumAttentionHeads = 4, NumKeyValueHeads = 4, MaxPositionEmbeddings = 512, RmsNormEps = 1e-5,
            RopeTheta = 10000, PadTokenId = padId, BosTokenId = 1, EosTokenId = 2,
        },
    };

    /// <summary>Writes config.json, the tokenizer and preprocessor_config.json of an untrained toy model into <paramref name="dir"/>.</summary>
    public static LlavaConfig WriteSkeleton(string dir)
    {
        Directory.CreateDirectory(dir);
        var pieces = LlavaTokenizerWriter.WriteFolder(dir, ShapesVqaVocabulary.Corpus());
        var tokenizer = LlavaTokenizer.Load(dir);
        var config = Config(pieces.Count + LlavaTokenizerWriter.AddedTokenContents.Count, tokenizer.ImageTokenId, tokenizer.PadId ?? tokenizer.EosId);
        config.Save(dir);
        var preprocessor = new Dictionary<string, object>
        {
            ["crop_size"] = new Dictionary<string, int> { ["height"] = ImageSize, ["width"] = ImageSize },
            ["size"] = new Dictionary<string, int> { ["shortest_edge"] = ImageSize },
            ["do_center_crop"] = true, ["do_normalize"] = true, ["do_rescale"] = true, ["do_resize"] = true,
            ["image_mean"] = new[] { 0.48145466, 0.4578275, 0.40821073 },
            ["image_std"] = new[] { 0.26862954, 0.26130258, 0.27577711 },
            ["resample"] = 3, ["rescale_factor"] = 1.0 / 255,
            ["image_processor_type"] = "CLIPImageProcessor",
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "preprocessor_config.json"), JsonSerializer.Serialize(preprocessor, new JsonSerializerOptions { WriteIndented = true }));
        return config;
    }
}
