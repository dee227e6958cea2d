using LVPrune.Generation;
using LVPrune.Kernels;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Models;

/// <summary>
/// The model on the fp32 compute path (bf16 weights widened inside our kernels) and with int8
/// weights, forced with `--compute fp32` / `--quantize int8` so they run on any CPU with AVX2:
/// against the independent float64 reference, and the invariants every path must keep.
/// </summary>
public class ComputePathModelTests
{
    /// <summary>The tiny configuration with an MLP width that is a whole number of int8 groups (96 = 3 x 32).</summary>
    private static LVPrune.Checkpoints.LlavaConfig Config()
    {
        var c = TinyModels.Config();
        return c with { TextConfig = c.TextConfig with { IntermediateSize = 96 } };
    }

    private static readonly RuntimeOptions Fp32Path = RuntimeOptions.Default with { Compute = ComputePreference.Fp32 };
    private static readonly RuntimeOptions Int8 = RuntimeOptions.Default with { Quantize = Int8Checkpoint.Default };

    public enum Path { Fp32ComputeBf16Weights, Int8Weights }

    /// <summary>A tiny model on <paramref name="path"/>: bf16 weights computed in fp32, or fp32 weights with int8 projections.</summary>
    private static LlavaForConditionalGeneration Create(Path path, long seed = 1)
    {
        var model = path == Path.Int8Weights
            ? TinyModels.Create(Config(), seed, ScalarType.Float32, Int8)
            : TinyModels.Create(Config(), seed, ScalarType.BFloat16, Fp32Path);
        if (path == Path.Int8Weights)
        {
            ModelLoader.QuantizeLanguageModel(model, Int8Checkpoint.Default);
            model.UseRuntimeIn(model);
        }
        return model;
    }

    /// <summary>The weights the model multiplies by, as float64 reference weights: int8 layers dequantized.</summary>
    private static IEnumerable<(string, Tensor)> EffectiveWeights(LlavaForConditionalGeneration model)
    {
        var linears = model.named_modules().Where(m => m.module is Linear).ToDictionary(m => m.name + ".weight", m => (Linear)m.module);
        foreach (var (name, p) in model.named_parameters())
            yield return (name, linears.TryGetValue(name, out var l) && l.Quantized is { } q ? q.Dequantize(ScalarType.Float64) : p);
    }

    private static double MaxDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();

    private static Tensor Logits(LlavaForConditionalGeneration model, LlavaBatch batch, ITokenSelector? selector = null)
    {
        using var _ = no_grad();
        return model.Forward(batch, selector).Logits!;
    }

    [Avx2Fact]
    public void Fp32Path_IsChosen_WithFp32Activations_AndBf16LinearWeights()
    {
        using var model = Create(Path.Fp32ComputeBf16Weights);
        Assert.Equal(ScalarType.BFloat16, model.DType);
        Assert.Equal(ScalarType.Float32, model.ComputeDType);
        Assert.Equal(ComputePath.Fp32, model.Compute.Path);
        Assert.True(model.DecodesOnFp32Kernels);
        var linears = model.modules().OfType<Linear>().ToList();
        Assert.All(linears, l => Assert.Equal(ScalarType.BFloat16, l.weight.dtype));
        Assert.All(linears, l => Assert.IsType<Fp32ComputeProduct>(l.Product));
        // Everything but the linear weights, their biases and the token table is small and held in fp32.
        var small = model.named_parameters().Where(p => !p.name.EndsWith("proj.weight") && !p.name.EndsWith("proj.bias") && !p.name.Contains("fc")
                                                       && !p.name.Contains("linear_") && !p.name.Contains("lm_head") && !p.name.Contains("embed_tokens")).ToList();
        Assert.NotEmpty(small);
        Assert.All(small, p => Assert.True(p.parameter.dtype == ScalarType.Float32, $"{p.name} is {p.parameter.dtype}"));
        using var _ = no_grad();
        var batch = TinyModels.Batch(model.Config, [TinyModels.Prompt(3)], TinyModels.Pixels(1, 3));
        Assert.Equal(ScalarType.Float32, model.ImageFeatures(batch.PixelValues!).dtype);
        Assert.Equal(ScalarType.Float32, model.Forward(batch, logits: LogitsMode.None).Decoder.Hidden.dtype);
    }

    /// <summary>
    /// The whole model (vision tower, projector, decoder, LM head) on each path against float64 run on
    /// the very weights it multiplies by (bf16 widened exactly; int8 dequantized): fp32 rounding only,
    /// where the native bf16 path of the same weights is off by bf16 rounding of every activation.
    /// </summary>
    [Avx2Theory]
    [InlineData(Path.Fp32ComputeBf16Weights)]
    [InlineData(Path.Int8Weights)]
    public void Logits_MatchFloat64OnTheWeightsMultiplied(Path path)
    {
        using var model = Create(path);
        var cfg = model.Config;
        var prompt = TinyModels.Prompt(3);
        var pixels = TinyModels.Pixels(1, 5);
        var logits = Logits(model, TinyModels.Batch(cfg, [prompt], pixels));
        var reference = new ReferenceLlava(cfg, EffectiveWeights(model));
        var (embeds, _) = reference.Embed(prompt, pixels[0]);
        var h = reference.Layers(embeds, Enumerable.Range(0, (int)embeds.shape[0]).Select(i => (long)i).ToArray(), 0, cfg.TextConfig.NumHiddenLayers);
        var expected = reference.Logits(h);
        double scale = expected.abs().max().ToDouble();
        Assert.True(scale > 0.5, "reference logits should not be trivially small");
        double error = MaxDiff(logits[0], expected);
        Assert.True(error < 1e-4 * Math.Max(1, scale), $"{path}: max |diff| {error} against float64 (scale {scale})");
        if (path == Path.Fp32ComputeBf16Weights)
        {
            using var native = TinyModels.Create(Config(), 1, ScalarType.BFloat16, RuntimeOptions.Default with { Compute = ComputePreference.Bf16 });
            double nativeError = MaxDiff(Logits(native, TinyModels.Batch(cfg, [prompt], pixels))[0], expected);
            Assert.True(nativeError > 20 * error, $"native bf16 error {nativeError} should dwarf the fp32 path's {error}");
        }
    }

    /// <summary>int8 weights change the weights, never the math: the int8 model equals an fp32 model holding the dequantized weights.</summary>
    [Avx2Fact]
    public void Int8Model_EqualsTheModelWithDequantizedWeights()
    {
        using var model = Create(Path.Int8Weights);
        using var dense = TinyModels.Create(Config(), 99, ScalarType.Float32);
        using (no_grad())
        {
            var weights = EffectiveWeights(model).ToDictionary(kv => kv.Item1, kv => kv.Item2);
            foreach (var (name, p) in dense.named_parameters()) p.copy_(weights[name]);
        }
        Assert.Equal(7 * model.Config.TextConfig.NumHiddenLayers, model.modules().OfType<Linear>().Count(l => l.Quantized is not null));
        var cfg = model.Config;
        var batch = TinyModels.Batch(cfg, [TinyModels.Prompt(4), TinyModels.Prompt(5, 4, 2)], TinyModels.Pixels(2, 6));
        var a = Logits(model, batch);
        var b = Logits(dense, batch);
        double scale = b.abs().max().ToDouble();
        Assert.True(MaxDiff(a, b) < 1e-4 * Math.Max(1, scale), $"int8 vs dequantized {MaxDiff(a, b)} (scale {scale})");
        var options = new GenerationOptions { MaxNewTokens = 5, StopAtEos = false };
        Assert.Equal(LlavaGenerator.Generate(dense, batch, options, 2).Tokens, LlavaGenerator.Generate(model, batch, options, 2).Tokens);
    }

    /// <summary>A decode step on the cache (our GEMV and fp32 decode attention) equals recomputing everything, with padding in the batch.</summary>
    [Avx2Theory]
    [InlineData(Path.Fp32ComputeBf16Weights)]
    [InlineData(Path.Int8Weights)]
    public void CachedDecodeLogits_EqualFullRecompute_WithPadding(Path path)
    {
        using var model = Create(path);
        LlavaForwardTests.AssertCachedDecodeEqualsRecompute(model, 1e-4);
    }

    /// <summary>A batch generates what each of its rows generates alone, with and without a pruning plan.</summary>
    [Avx2Theory]
    [InlineData(Path.Fp32ComputeBf16Weights)]
    [InlineData(Path.Int8Weights)]
    public void Batch_EqualsRowsAlone(Path path)
    {
        using var model = Create(path);
        LlavaForwardTests.AssertBatchEqualsRowsAlone(model, 1e-4);
    }

    /// <summary>--compute names the path whatever the CPU; the native-bf16 path keeps its bf16 products and activations.</summary>
    [Fact]
    public void ComputeFlag_Overrides_TheNativePathKeepsBf16()
    {
        var native = RuntimeOptions.Default with { Compute = ComputePreference.Bf16 };
        var (choice, dtype) = native.ResolveCompute(ScalarType.BFloat16, false, CPU);
        Assert.Equal((ComputePath.Bf16, ScalarType.BFloat16), (choice.Path, dtype));
        Assert.Equal(ScalarType.Float32, RuntimeOptions.Default.ResolveCompute(ScalarType.Float32, false, CPU).DType);
        var ex = Assert.Throws<LVPruneException>(() => native with { Quantize = Int8Checkpoint.Default } is var o ? o.ResolveCompute(ScalarType.BFloat16, true, CPU) : default);
        Assert.Contains("--compute bf16", ex.Message);
        var auto = RuntimeOptions.Default.ResolveCompute(ScalarType.BFloat16, false, CPU);
        Assert.Equal(CpuFeatures.Current.NativeBf16 || CpuFeatures.Current.BestIsa is null ? ScalarType.BFloat16 : ScalarType.Float32, auto.DType);
    }
}
