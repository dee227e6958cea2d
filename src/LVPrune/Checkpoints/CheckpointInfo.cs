using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace LVPrune.Checkpoints;

/// <summary>What `lvprune inspect` reports: read from config.json and the safetensors headers only.</summary>
public sealed record CheckpointInfo
{
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("config")] public required LlavaConfig Config { get; init; }
    [JsonPropertyName("parameters")] public required long Parameters { get; init; }
    [JsonPropertyName("parameters_by_part")] public required Dictionary<string, long> ByPart { get; init; }
    [JsonPropertyName("dtypes_on_disk")] public required Dictionary<string, long> DTypes { get; init; }
    [JsonPropertyName("files")] public required int Files { get; init; }
    [JsonPropertyName("image_tokens")] public required int ImageTokens { get; init; }
    [JsonPropertyName("weights_gb_fp32")] public double WeightsGbFp32 => Parameters * 4 / 1e9;
    [JsonPropertyName("weights_gb_bf16")] public double WeightsGbBf16 => Parameters * 2 / 1e9;
    /// <summary>KV cache bytes per token in bf16 (2 tensors x layers x kv heads x head dim x 2 bytes).</summary>
    [JsonPropertyName("kv_cache_mb_per_token_bf16")] public double KvMbPerToken =>
        2.0 * Config.TextConfig.NumHiddenLayers * Config.TextConfig.KvHeads * Config.TextConfig.HeadDimension * 2 / 1e6;

    public static CheckpointInfo Read(string dir)
    {
        if (!Directory.Exists(dir)) throw new LVPruneException($"model folder not found: {dir}");
        var config = LlavaConfig.Load(dir);
        using var reader = CheckpointReader.Open(dir);
        long total = 0;
        var byPart = new Dictionary<string, long>();
        var dtypes = new Dictionary<string, long>();
        foreach (var key in reader.Keys)
        {
            reader.TryGetEntry(key, out var e);
            var canonical = CheckpointKeys.Canonical(key);
            if (CheckpointKeys.IsIgnored(canonical)) continue;
            total += e!.NumberOfElements;
            string part = canonical.Split('.')[0];
            byPart[part] = byPart.GetValueOrDefault(part) + e.NumberOfElements;
            dtypes[e.DType] = dtypes.GetValueOrDefault(e.DType) + e.NumberOfElements;
        }
        return new CheckpointInfo
        {
            Path = System.IO.Path.GetFullPath(dir), Config = config, Parameters = total, ByPart = byPart, DTypes = dtypes,
            Files = reader.Files.Count, ImageTokens = config.ImageTokens,
        };
    }

    public string ToText()
    {
        var c = Config; var t = c.TextConfig; var v = c.VisionConfig;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine($"model         {Path} ({Files} safetensors file{(Files == 1 ? "" : "s")})");
        sb.AppendLine(inv, $"parameters    {Parameters / 1e6:F1}M  ({string.Join(", ", ByPart.Select(kv => $"{kv.Key} {kv.Value / 1e6:F1}M"))})");
        sb.AppendLine($"on disk       {string.Join(", ", DTypes.Select(kv => $"{kv.Key} x {kv.Value}"))}");
        sb.AppendLine(inv, $"memory        weights {WeightsGbFp32:F2} GB fp32 / {WeightsGbBf16:F2} GB bf16; KV cache {KvMbPerToken:F3} MB per token (bf16)");
        sb.AppendLine(inv, $"vision        CLIP {v.NumHiddenLayers} layers x {v.HiddenSize} ({v.NumAttentionHeads} heads, MLP {v.IntermediateSize}, {v.HiddenAct}), {v.ImageSize} px / patch {v.PatchSize} = {v.NumPatches} patches");
        sb.AppendLine(inv, $"features      hidden state {c.VisionFeatureLayer} ({c.VisionLayersToRun} layers run), strategy {c.VisionFeatureSelectStrategy}: {ImageTokens} image tokens; projector {c.ProjectorHiddenAct}");
        sb.AppendLine(inv, $"language      LLaMA {t.NumHiddenLayers} layers x {t.HiddenSize} ({t.NumAttentionHeads} heads, {t.KvHeads} KV heads, head dim {t.HeadDimension}), MLP {t.IntermediateSize}, vocab {t.VocabSize}");
        sb.AppendLine(inv, $"              rms_norm_eps {t.RmsNormEps:G}, rope_theta {t.RopeTheta:G}{(c.RopeLinearFactor != 1 ? $" (linear x{c.RopeLinearFactor:G})" : "")}, max positions {t.MaxPositionEmbeddings}");
        sb.AppendLine($"tokens        image token {c.ImageTokenIndex}, pad {c.PadTokenId?.ToString(inv) ?? "none"}, bos {t.BosTokenId}, eos {t.EosTokenId}");
        return sb.ToString();
    }
}
