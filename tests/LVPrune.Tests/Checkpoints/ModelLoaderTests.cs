using System.Text.Json.Nodes;
using LVPrune.Checkpoints;
using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Checkpoints;

public class ModelLoaderTests
{
    private static Tensor Logits(LlavaForConditionalGeneration model, LlavaConfig cfg)
    {
        using var _ = no_grad();
        var batch = LlavaBatch.FromTokens([new long[] { 1, 300, cfg.ImageTokenIndex, 301, 302 }], TinyModels.Pixels(1, 3), cfg.ImageTokenIndex, cfg.ImageTokens, cfg.PadTokenId ?? 0);
        return model.Forward(batch).Logits!;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShardedCheckpoint_LoadsStrictly_AndReproducesTheModel(bool newKeyLayout)
    {
        using var ckpt = new TinyCheckpoint(seed: 4, newKeyLayout: newKeyLayout);
        Assert.True(File.Exists(Path.Combine(ckpt.Dir, "model.safetensors.index.json")), "expected a sharded checkpoint");
        using var loaded = ModelLoader.Load(ckpt.Dir);
        using var original = TinyModels.Create(ckpt.Config, seed: 4);
        Assert.Equal(0.0, (Logits(loaded, ckpt.Config) - Logits(original, ckpt.Config)).abs().max().ToDouble());
        Assert.All(loaded.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Bf16Load_CastsEveryWeight()
    {
        using var ckpt = new TinyCheckpoint();
        using var model = ModelLoader.Load(ckpt.Dir, ScalarType.BFloat16);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
    }

    [Fact]
    public void MissingUnexpectedAndMismatchedKeys_AreNamed()
    {
        using var ckpt = new TinyCheckpoint(maxShardBytes: 1L << 40);
        string file = Path.Combine(ckpt.Dir, "model.safetensors");
        var tensors = Safetensors.Load(file);
        tensors.Remove("language_model.model.norm.weight");
        tensors["language_model.model.extra.weight"] = zeros(3);
        tensors["multi_modal_projector.linear_1.bias"] = zeros(5);
        Safetensors.Save(file, tensors);
        var e = Assert.Throws<LVPruneException>(() => ModelLoader.Load(ckpt.Dir));
        Assert.Contains("missing keys: language_model.model.norm.weight", e.Message);
        Assert.Contains("unexpected keys: language_model.model.extra.weight", e.Message);
        Assert.Contains("'multi_modal_projector.linear_1.bias' has shape [5]", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void TruncatedWeights_AreReportedWithTheFile()
    {
        using var ckpt = new TinyCheckpoint(maxShardBytes: 1L << 40);
        string file = Path.Combine(ckpt.Dir, "model.safetensors");
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<LVPruneException>(() => ModelLoader.Load(ckpt.Dir));
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void ConfigOfAnotherArchitecture_IsRefused()
    {
        using var ckpt = new TinyCheckpoint();
        string path = Path.Combine(ckpt.Dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["model_type"] = "qwen2_vl";
        json["architectures"] = new JsonArray("Qwen2VLForConditionalGeneration");
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<LVPruneException>(() => ModelLoader.Load(ckpt.Dir));
        Assert.Contains("not a LLaVA config", e.Message);
        Assert.Throws<LVPruneException>(() => ModelLoader.Load(Path.Combine(ckpt.Dir, "nope")));
    }

    [Fact]
    public void HfDefaults_FillOmittedKeys()
    {
        // A llava-hf style file that omits hidden_act, rope_theta, head_dim, layer_norm_eps, vision_feature_layer...
        var cfg = LlavaConfig.Parse("""
            {"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "image_token_index": 32000,
             "text_config": {"model_type": "llama", "vocab_size": 32064, "rms_norm_eps": 1e-05, "max_position_embeddings": 4096},
             "vision_config": {"hidden_size": 1024, "image_size": 336, "intermediate_size": 4096, "num_attention_heads": 16,
                               "num_hidden_layers": 24, "patch_size": 14, "projection_dim": 768, "vocab_size": 32000}}
            """);
        Assert.Equal("silu", cfg.TextConfig.HiddenAct);
        Assert.Equal(10000.0, cfg.TextConfig.RopeTheta);
        Assert.Equal(128, cfg.TextConfig.HeadDimension);
        Assert.Equal(32, cfg.TextConfig.KvHeads);
        Assert.Equal("quick_gelu", cfg.VisionConfig.HiddenAct);
        Assert.Equal(1e-5, cfg.VisionConfig.LayerNormEps);
        Assert.Equal(-2, cfg.VisionFeatureLayer);
        Assert.Equal(23, cfg.VisionLayersToRun);
        Assert.Equal("gelu", cfg.ProjectorHiddenAct);
        Assert.Equal(576, cfg.ImageTokens);
        // Without any vision_config, LlavaConfig's own default is CLIP ViT-L/14-336.
        var bare = LlavaConfig.Parse("""{"model_type": "llava"}""");
        Assert.Equal(1024, bare.VisionConfig.HiddenSize);
        Assert.Equal(1e-6, bare.TextConfig.RmsNormEps);
    }
}
