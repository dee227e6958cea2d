using LVPrune.Checkpoints;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Generation;

/// <summary>
/// The numerical-debugging run behind `lvprune forward`: tensors in (input_ids, pixel_values,
/// optional attention_mask), tensors out (logits of every position still present, the projector's
/// image features, optionally greedy tokens), for parity checks against other implementations.
/// </summary>
public static class ForwardDump
{
    public static Dictionary<string, Tensor> Run(LlavaForConditionalGeneration model, string inputsPath, ITokenSelector? selector, int generate)
    {
        if (!File.Exists(inputsPath)) throw new LVPruneException($"inputs file not found: {inputsPath}");
        if (generate < 0) throw new LVPruneException($"--generate must be >= 0, got {generate}");
        using var file = SafetensorsFile.Open(inputsPath);
        Tensor Need(string key)
        {
            if (!file.Entries.TryGetValue(key, out var e)) throw new LVPruneException($"{inputsPath}: missing '{key}'");
            return file.Read(key);
        }
        var ids = Need("input_ids");
        if (ids.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new LVPruneException($"{inputsPath}: input_ids must be int64, got {ids.dtype}");
        var pixels = Need("pixel_values").to(ScalarType.Float32);
        var v = model.Config.VisionConfig;
        if (pixels.dim() != 4 || pixels.shape[1] != v.NumChannels || pixels.shape[2] != v.ImageSize || pixels.shape[3] != v.ImageSize)
            throw new LVPruneException($"{inputsPath}: pixel_values has shape [{string.Join(", ", pixels.shape)}], expected [B, {v.NumChannels}, {v.ImageSize}, {v.ImageSize}]");
        Tensor? mask = file.Entries.ContainsKey("attention_mask") ? file.Read("attention_mask") : null;
        using var batch = LlavaBatch.FromTensors(ids, mask, pixels, model.Config.ImageTokenIndex, model.Config.ImageTokens);

        var outputs = new Dictionary<string, Tensor>();
        using (no_grad())
        {
            var result = model.Forward(batch, selector);
            outputs["logits"] = result.Logits!;                                        // [B, T', V] fp32
            outputs["image_features"] = result.ImageFeatures!.to(ScalarType.Float32);  // [B, N, D]
            // Which tokens of the (expanded, left-padded) input the logits belong to.
            outputs["kept_token_indices"] = result.Decoder.Tokens.OriginalIndex;       // [B, T'] int64
        }
        if (generate > 0)
        {
            var gen = LlavaGenerator.Generate(model, batch, new GenerationOptions { MaxNewTokens = generate, StopAtEos = false },
                                              eosId: -1, selector);
            var data = gen.Tokens.SelectMany(t => t.Select(x => (long)x)).ToArray();
            outputs["generated_ids"] = tensor(data, [gen.Tokens.Count, generate]);        // [B, N]
        }
        return outputs;
    }
}
