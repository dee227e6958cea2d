using System.Text.Json;
using LVPrune.Checkpoints;
using LVPrune.Models;
using LVPrune.Text;
using LVPrune.Toy;
using static TorchSharp.torch;
using LVPrune.Recipes;

namespace LVPrune.Tests;

/// <summary>A complete tiny llava-hf model folder on disk: config.json, sharded safetensors with an
/// index, a SentencePiece tokenizer with &lt;image&gt; and &lt;pad&gt;, preprocessor_config.json.</summary>
public sealed class TinyCheckpoint : IDisposable
{
    public string Dir { get; }
    public LlavaConfig Config { get; }

    public TinyCheckpoint(long seed = 1, bool newKeyLayout = false, long maxShardBytes = 40_000)
    {
        Dir = Directory.CreateTempSubdirectory("lvprune-ckpt").FullName;
        ToyModel.WriteSkeleton(Dir); // tokenizer + preprocessor files of the toy world
        var tok = LlavaTokenizer.Load(Dir);
        var baseCfg = TinyModels.Config();
        Config = baseCfg with
        {
            ImageTokenIndex = tok.ImageTokenId,
            PadTokenId = tok.PadId,
            TextConfig = baseCfg.TextConfig with { VocabSize = tok.VocabSize, PadTokenId = tok.PadId },
        };
        using var model = TinyModels.Create(Config, seed);
        Config.Save(Dir);
        var tensors = model.state_dict().ToDictionary(kv => newKeyLayout ? NewLayout(kv.Key) : kv.Key, kv => kv.Value);
        Safetensors.SaveSharded(Dir, tensors, maxShardBytes);
        var pre = new Dictionary<string, object>
        {
            ["size"] = new Dictionary<string, int> { ["shortest_edge"] = 28 },
            ["crop_size"] = new Dictionary<string, int> { ["height"] = 28, ["width"] = 28 },
        };
        File.WriteAllText(Path.Combine(Dir, "preprocessor_config.json"), JsonSerializer.Serialize(pre));
    }

    /// <summary>transformers >= 4.52's key layout for LlavaForConditionalGeneration.</summary>
    public static string NewLayout(string key) =>
        key.StartsWith("language_model.model.") ? "model.language_model." + key["language_model.model.".Length..]
        : key.StartsWith("language_model.lm_head.") ? "lm_head." + key["language_model.lm_head.".Length..]
        : "model." + key;

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
