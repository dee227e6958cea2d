using LVPrune.Generation;
using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Models;

public class Bf16GemvTests
{
    /// <summary>One bf16 unit in the last place at the magnitude of <paramref name="v"/> (8 bits of mantissa).</summary>
    private static double Ulp(double v) => Math.Pow(2, Math.Floor(Math.Log2(Math.Max(Math.Abs(v), 1e-30))) - 7);

    [Avx512Theory]
    [InlineData(1, 77, 300, true, true)]
    [InlineData(1, 256, 513, false, true)]
    [InlineData(3, 130, 257, true, true)]
    public void MatchesFloat64Reference_WithinOneBf16Rounding(int rows, int inFeatures, int outFeatures, bool withBias, bool avx512) =>
        CheckAgainstReference(rows, inFeatures, outFeatures, withBias, avx512);

    [Avx2Theory]
    [InlineData(1, 77, 300, true, false)]
    [InlineData(1, 256, 513, false, false)]
    [InlineData(4, 16, 40, false, false)]
    public void MatchesFloat64Reference_WithinOneBf16Rounding_Avx2Loop(int rows, int inFeatures, int outFeatures, bool withBias, bool avx512) =>
        CheckAgainstReference(rows, inFeatures, outFeatures, withBias, avx512);

    private static void CheckAgainstReference(int rows, int inFeatures, int outFeatures, bool withBias, bool avx512)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(7);
        var x = randn([rows, inFeatures], generator: gen).to(ScalarType.BFloat16);
        var w = (randn([outFeatures, inFeatures], generator: gen) * 0.1).to(ScalarType.BFloat16);
        var b = withBias ? randn([outFeatures], generator: gen).to(ScalarType.BFloat16) : null;
        using var noGrad = no_grad();
        Assert.True(Bf16Gemv.Applies(x, w, b));

        var y = Bf16Gemv.Linear(x, w, b, avx512);
        Assert.Equal(new long[] { rows, outFeatures }, y.shape);
        Assert.Equal(ScalarType.BFloat16, y.dtype);

        // The exact product of the same bf16 values, in float64, then rounded once.
        var reference = x.to(ScalarType.Float64).matmul(w.to(ScalarType.Float64).t());
        if (b is not null) reference += b.to(ScalarType.Float64);
        var got = y.to(ScalarType.Float64).data<double>().ToArray();
        var want = reference.data<double>().ToArray();
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= Ulp(want[i]) + 1e-6, $"element {i}: {got[i]} vs {want[i]}");
    }

    [Avx2Fact]
    public void LinearModule_UsesTheKernelForDecode_AndAgreesWithLibTorch()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var linear = new LVPrune.Models.Linear(96, 200, true, ScalarType.BFloat16);
        RuntimeOptions.Default.ApplyTo(linear, ScalarType.BFloat16, LVPrune.Kernels.CpuFeatures.Current.BestIsa);
        var gen = new Generator(3);
        linear.weight.copy_(randn([200, 96], generator: gen) * 0.1);
        linear.bias!.copy_(randn([200], generator: gen));
        var x = randn([1, 1, 96], generator: gen).to(ScalarType.BFloat16); // [B, T=1, D]: one decode step

        var ours = linear.forward(x).to(ScalarType.Float64);
        var libtorch = nn.functional.linear(x, linear.weight, linear.bias).to(ScalarType.Float64);
        var exact = x.to(ScalarType.Float64).matmul(linear.weight.to(ScalarType.Float64).t()) + linear.bias.to(ScalarType.Float64);
        Assert.Equal(new long[] { 1, 1, 200 }, ours.shape);
        var a = ours.data<double>().ToArray();
        var c = libtorch.data<double>().ToArray();
        var e = exact.data<double>().ToArray();
        // Ours rounds once (fp32 sum + bias, then bf16); LibTorch rounds the product to bf16 and
        // again after adding the bias, so near-cancelling elements differ by more than an ulp of the
        // result. Ours is within one rounding of the exact value and never worse than LibTorch overall.
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - e[i]) <= Ulp(e[i]) + 1e-6, $"element {i}: {a[i]} vs exact {e[i]}");
        double oursError = a.Zip(e, (p, q) => Math.Abs(p - q)).Max(), libtorchError = c.Zip(e, (p, q) => Math.Abs(p - q)).Max();
        Assert.True(oursError <= libtorchError + 1e-6, $"kernel error {oursError} vs LibTorch {libtorchError}");
    }

    [Avx2Fact]
    public void Bf16CachedDecode_WithTheKernel_TracksFullRecompute_AsCloselyAsLibTorch()
    {
        var cfg = TinyModels.Config();
        using var model = TinyModels.Create(cfg, dtype: ScalarType.BFloat16);
        using var libTorchModel = TinyModels.Create(cfg, dtype: ScalarType.BFloat16, runtime: RuntimeOptions.LibTorchOnly); // the same weights
        var prompt = TinyModels.Prompt(5);
        var pixels = TinyModels.Pixels(1, 5);
        using var _ = no_grad();
        var c = cfg.TextConfig;
        // Full recompute of prompt + one token: prefill-sized products, never the kernel.
        var full = model.Forward(TinyModels.Batch(cfg, [prompt.Append(9L).ToArray()], pixels)).Logits![0, ^1].to(ScalarType.Float64);
        double scale = full.abs().max().ToDouble();
        double DecodeError(bool kernel)
        {
            var decoder = kernel ? model : libTorchModel;
            var batch = TinyModels.Batch(cfg, [prompt], pixels);
            using var cache = new KvCache(c.NumHiddenLayers, 1, c.KvHeads, (int)batch.Length + 2, c.HeadDimension, ScalarType.BFloat16, CPU);
            decoder.Forward(batch, cache: cache, logits: LogitsMode.None);
            var step = decoder.DecodeStep(tensor(new long[] { 9 }).view(1, 1), batch.NextPositions(), cache); // [1, 1, V]
            return (step[0, 0].to(ScalarType.Float64) - full).abs().max().ToDouble();
        }
        double ours = DecodeError(kernel: true), libtorch = DecodeError(kernel: false);
        Assert.True(ours < 0.05 * scale, $"kernel decode vs recompute {ours} (scale {scale})");
        Assert.True(ours <= 2 * libtorch + 1e-3 * scale, $"kernel decode error {ours} vs LibTorch decode error {libtorch}");
    }

    [Avx2Fact]
    public void Linears_SeveralWeightsInOneCall_EqualSeparateProducts_BitForBit()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gen = new Generator(11);
        var x = randn([2, 1, 64], generator: gen).to(ScalarType.BFloat16);
        (Tensor, Tensor?)[] layers =
        [
            ((randn([300, 64], generator: gen) * 0.1).to(ScalarType.BFloat16), null),
            ((randn([40, 64], generator: gen) * 0.1).to(ScalarType.BFloat16), randn([40], generator: gen).to(ScalarType.BFloat16)),
            ((randn([513, 64], generator: gen) * 0.1).to(ScalarType.BFloat16), null),
        ];
        var together = Bf16Gemv.Linears(x, layers);
        Assert.Equal(3, together.Length);
        for (int m = 0; m < layers.Length; m++)
        {
            var alone = Bf16Gemv.Linear(x, layers[m].Item1, layers[m].Item2);
            Assert.Equal(new long[] { 2, 1, layers[m].Item1.shape[0] }, together[m].shape);
            Assert.True(together[m].eq(alone).all().item<bool>(), $"product {m} differs when computed with the others");
        }
    }

    [Fact]
    public void Applies_OnlyToSmallBf16CpuProductsWithoutAutograd()
    {
        using var scope = NewDisposeScope();
        var w = zeros(8, 32, ScalarType.BFloat16);
        Assert.False(Bf16Gemv.Applies(zeros(1, 32), zeros(8, 32), null));                                   // fp32
        Assert.False(Bf16Gemv.Applies(zeros(Bf16Gemv.MaxRows + 1, 32, ScalarType.BFloat16), w, null));      // prefill-sized
        Assert.False(Bf16Gemv.Applies(zeros(1, 32, ScalarType.BFloat16), w.t(), null));                     // wrong shape
        var trainable = zeros(8, 32, ScalarType.BFloat16).requires_grad_(true);
        Assert.False(Bf16Gemv.Applies(zeros(1, 32, ScalarType.BFloat16), trainable, null));                 // autograd needs LibTorch
        Assert.Equal(Bf16Gemv.Supported, Bf16Gemv.Applies(zeros(1, 32, ScalarType.BFloat16), w, null));
    }

    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1.0
    [InlineData(0x3F808000u, (ushort)0x3F80)] // halfway, even below: stays
    [InlineData(0x3F818000u, (ushort)0x3F82)] // halfway, odd below: rounds up to even
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above halfway
    [InlineData(0xC0490FDBu, (ushort)0xC049)] // -pi
    public void RoundToBf16_IsRoundToNearestEven(uint bits, ushort expected) =>
        Assert.Equal(expected, Bf16Gemv.RoundToBf16(BitConverter.UInt32BitsToSingle(bits)));
}
