using System.Text.Json;
using LVPrune.Checkpoints;
using LVPrune.Text;
using LVPrune.Toy;

namespace LVPrune.Recipes;

/// <summary>
/// The toy model's recipe: an untrained model folder of the toy architecture
/// (<see cref="ModelPresets.Toy"/>) whose tokenizer has one token per word of the ShapesVQA world.
/// `train --init-toy` starts from it.
/// </summary>
public static class ToyModel
{
    /// <summary>Writes config.json, the tokenizer and preprocessor_config.json of an untrained toy model into <paramref name="dir"/>.</summary>
    public static LlavaConfig WriteSkeleton(string dir)
    {
        Directory.CreateDirectory(dir);
        var pieces = LlavaTokenizerWriter.WriteFolder(dir, ShapesVqaVocabulary.Corpus());
        var tokenizer = LlavaTokenizer.Load(dir);
        var config = ModelPresets.Toy(pieces.Count + LlavaTokenizerWriter.AddedTokenContents.Count, tokenizer.ImageTokenId, tokenizer.PadId ?? tokenizer.EosId);
        config.Save(dir);
        var preprocessor = new Dictionary<string, object>
        {
            ["crop_size"] = new Dictionary<string, int> { ["height"] = ModelPresets.ToyImageSize, ["width"] = ModelPresets.ToyImageSize },
            ["size"] = new Dictionary<string, int> { ["shortest_edge"] = ModelPresets.ToyImageSize },
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
