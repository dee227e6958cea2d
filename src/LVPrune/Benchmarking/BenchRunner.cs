using System.Text.Json.Serialization;
using LVPrune.Flops;
using LVPrune.Generation;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Benchmarking;

/// <summary>One measured configuration (medians over the repeats, after a warm-up).</summary>
public sealed record BenchRun
{
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("keep")] public double[]? Keep { get; init; }
    /// <summary>Time to first token: vision tower + projector + prefill + LM head on the last position.</summary>
    [JsonPropertyName("ttft_s")] public required double TtftS { get; init; }
    [JsonPropertyName("decode_ms_per_token")] public required double DecodeMsPerToken { get; init; }
    [JsonPropertyName("vision_s")] public required double VisionS { get; init; }
    /// <summary>Peak resident memory during this configuration's runs (weights included; high-water mark reset before it).</summary>
    [JsonPropertyName("peak_rss_gb")] public required double PeakRssGb { get; init; }
    [JsonPropertyName("tflops")] public required double Tflops { get; init; }
    /// <summary>Prefill FLOPs (the FLOPs model) divided by the time to first token.</summary>
    [JsonPropertyName("gflops_per_s")] public required double GflopsPerS { get; init; }
    /// <summary>Time to first token of no pruning divided by this run's (1 for no pruning).</summary>
    [JsonPropertyName("speedup")] public double Speedup { get; init; } = 1;
    /// <summary>The activations' dtype of the compute path that ran (fp32 or bf16).</summary>
    [JsonPropertyName("compute_dtype")] public required string ComputeDType { get; init; }
    /// <summary>The weights' kind: fp32, bf16 or int8 (the language model's projections; the rest as --dtype).</summary>
    [JsonPropertyName("weight_dtype")] public required string WeightDType { get; init; }
    /// <summary>The decode bound: bytes of weights a token reads over the measured read bandwidth (set by the caller that measured it).</summary>
    [JsonPropertyName("decode_bound_ms")] public double? DecodeBoundMs { get; init; }
}

/// <summary>
/// Times one configuration on a dummy input of one image and N text tokens (the paper's FLOPs
/// setting): a warm-up generation, then <c>repeat</c> generations of <c>newTokens</c> tokens.
/// </summary>
public static class BenchRunner
{
    public static LlavaBatch DummyBatch(LlavaForConditionalGeneration model, int textTokens, long seed = 0)
    {
        var cfg = model.Config;
        var rng = new Random((int)seed);
        var ids = new List<long> { cfg.TextConfig.BosTokenId ?? 1, cfg.ImageTokenIndex };
        while (ids.Count < textTokens + 1) ids.Add(rng.Next(3, Math.Min(cfg.ImageTokenIndex, cfg.TextConfig.VocabSize)));
        using var gen = new TorchSharp.torch.Generator((ulong)seed);
        var pixels = randn([1, 3, cfg.VisionConfig.ImageSize, cfg.VisionConfig.ImageSize], generator: gen);
        return LlavaBatch.FromTokens([ids], pixels, cfg.ImageTokenIndex, cfg.ImageTokens, cfg.PadTokenId ?? 0);
    }

    public static BenchRun Run(LlavaForConditionalGeneration model, string method, ITokenSelector? selector, IReadOnlyList<double>? keep,
                               bool decisionModules, int textTokens, int newTokens, int repeat, Action<string>? log = null)
    {
        using var batch = DummyBatch(model, textTokens);
        ProcessMemory.ResetPeak(); // the peak of this configuration's inference, not of building the model
        var options = new GenerationOptions { MaxNewTokens = Math.Max(2, newTokens), StopAtEos = false };
        LlavaGenerator.Generate(model, batch, options with { MaxNewTokens = 2 }, -1, selector); // warm-up: first calls of every kernel
        var ttft = new List<double>(); var vision = new List<double>(); var decode = new List<double>();
        for (int i = 0; i < repeat; i++)
        {
            NativeSafety.DrainFinalizers(); // outside the timed run
            var r = LlavaGenerator.Generate(model, batch, options, -1, selector);
            ttft.Add(r.PrefillSeconds); vision.Add(r.VisionSeconds);
            decode.Add(r.DecodeSeconds / Math.Max(1, r.DecodedSteps));
            log?.Invoke($"  {method} {(keep is null ? "" : "[" + string.Join(",", keep) + "] ")}run {i + 1}/{repeat}: ttft {r.PrefillSeconds:F3}s, decode {1000 * r.DecodeSeconds / Math.Max(1, r.DecodedSteps):F1} ms/token");
        }
        var layers = selector?.StageLayers();
        double tflops = FlopsModel.Compute(FlopsShape.From(model.Config, layers), textTokens,
                                           keep is null ? null : keep, decisionModules).TotalTflops;
        double t = Statistics.Median(ttft);
        return new BenchRun
        {
            Method = method, Keep = keep?.ToArray(), TtftS = t, DecodeMsPerToken = 1000 * Statistics.Median(decode),
            VisionS = Statistics.Median(vision), PeakRssGb = ProcessMemory.PeakGb, Tflops = tflops, GflopsPerS = tflops * 1000 / t,
            ComputeDType = Models.WeightDType.Name(model.ComputeDType), WeightDType = model.WeightKind,
        };
    }

    /// <summary>Bytes of weights one decoding step reads: every decoder layer, the final norm and the LM head
    /// (int8 layers: their values and scales).</summary>
    public static double DecodeBytesPerToken(LlavaForConditionalGeneration model) =>
        model.language_model.named_parameters().Where(p => !p.name.Contains("embed_tokens"))
             .Sum(p => (double)p.parameter.numel() * p.parameter.element_size())
        + model.language_model.modules().OfType<Models.Linear>().Sum(l => (double)(l.Quantized?.Bytes ?? 0));
}
