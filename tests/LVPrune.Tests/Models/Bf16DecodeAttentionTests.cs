using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Models;

public class Bf16DecodeAttentionTests
{
    [Avx2Theory]
    [InlineData(1, 4, 4, 64, 9, false)]  // multi-head, no padding
    [InlineData(2, 4, 2, 32, 7, true)]   // grouped-query, left padding in the second sequence
    [InlineData(1, 2, 1, 128, 300, false)]
    public void MatchesFloat64Softmax_OverTheCache(int batch, int heads, int kvHeads, int headDim, int length, bool padding)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gen = new Generator(5);
        int capacity = length + 3;
        var layer = new KvCache.Layer
        {
            K = randn([batch, kvHeads, capacity, headDim], generator: gen).to(ScalarType.BFloat16),
            V = randn([batch, kvHeads, capacity, headDim], generator: gen).to(ScalarType.BFloat16),
            Valid = ones([batch, capacity], ScalarType.Bool),
            Length = length,
        };
        if (padding) layer.Valid[1, ..3] = tensor(false); // three padding keys before the second sequence
        var q = (randn([batch, heads, 1, headDim], generator: gen) * 2).to(ScalarType.BFloat16);
        Assert.True(Bf16DecodeAttention.Applies(q, layer));

        var got = Bf16DecodeAttention.Attend(q, layer, padding).to(ScalarType.Float64);
        Assert.Equal(new long[] { batch, heads, 1, headDim }, got.shape);

        // Reference: the same bf16 values in float64, keys repeated per group, padded keys masked.
        int rep = heads / kvHeads;
        var k = layer.K.narrow(2, 0, length).to(ScalarType.Float64).repeat_interleave(rep, 1); // [B, H, L, Dh]
        var v = layer.V.narrow(2, 0, length).to(ScalarType.Float64).repeat_interleave(rep, 1);
        var scores = q.to(ScalarType.Float64).matmul(k.transpose(2, 3)) / Math.Sqrt(headDim);   // [B, H, 1, L]
        var visible = layer.Valid.narrow(1, 0, length).clone();
        visible[.., length - 1] = tensor(true);
        scores = scores.masked_fill(visible.logical_not().view(batch, 1, 1, length), double.NegativeInfinity);
        var want = scores.softmax(-1).matmul(v);                                                  // [B, H, 1, Dh]
        double worst = (got - want).abs().max().ToDouble();
        double bf16Step = want.abs().max().ToDouble() * Math.Pow(2, -8);
        Assert.True(worst <= bf16Step, $"worst error {worst}, one bf16 rounding at this scale {bf16Step}");
    }

    [Fact]
    public void Applies_OnlyToSingleBf16QueriesWithoutAutograd()
    {
        using var scope = NewDisposeScope();
        var layer = new KvCache.Layer
        {
            K = zeros([1, 2, 8, 32], ScalarType.BFloat16), V = zeros([1, 2, 8, 32], ScalarType.BFloat16),
            Valid = ones([1, 8], ScalarType.Bool), Length = 4,
        };
        Assert.Equal(Bf16Gemv.Supported, Bf16DecodeAttention.Applies(zeros([1, 4, 1, 32], ScalarType.BFloat16), layer));
        Assert.False(Bf16DecodeAttention.Applies(zeros([1, 4, 2, 32], ScalarType.BFloat16), layer));  // two queries: prefill path
        Assert.False(Bf16DecodeAttention.Applies(zeros([1, 4, 1, 32]), layer));                       // fp32
        Assert.False(Bf16DecodeAttention.Applies(zeros([1, 3, 1, 32], ScalarType.BFloat16), layer));  // heads not a multiple of kv heads
        Assert.False(Bf16DecodeAttention.Applies(zeros([1, 4, 1, 32], ScalarType.BFloat16), layer, RuntimeOptions.LibTorchOnly)); // kernels off
    }

    [Avx2Fact]
    public void PaddedBf16BatchDecode_WithTheKernels_AgreesWithLibTorchDecode()
    {
        var tiny = TinyModels.Config();
        var cfg = tiny with { TextConfig = tiny.TextConfig with { HiddenSize = 64 } }; // head dim 16: the attention kernel applies
        using var model = TinyModels.Create(cfg, dtype: ScalarType.BFloat16);
        using var libTorchModel = TinyModels.Create(cfg, dtype: ScalarType.BFloat16, runtime: RuntimeOptions.LibTorchOnly); // the same weights
        using var noGrad = no_grad();
        var c = cfg.TextConfig;
        Assert.Equal(16, c.HeadDimension);
        long[][] prompts = [TinyModels.Prompt(3, after: 9), TinyModels.Prompt(4, after: 2)]; // the second is left-padded
        var pixels = TinyModels.Pixels(2, 6);
        Tensor Decode(bool kernels)
        {
            var decoder = kernels ? model : libTorchModel; // the GEMV and the attention kernel, or LibTorch for both
            var batch = TinyModels.Batch(cfg, prompts, pixels);
            Assert.True(batch.HasPadding);
            using var cache = new KvCache(c.NumHiddenLayers, 2, c.KvHeads, (int)batch.Length + 3, c.HeadDimension, ScalarType.BFloat16, CPU);
            decoder.Forward(batch, cache: cache, logits: LogitsMode.None);
            var positions = batch.NextPositions();
            var first = decoder.DecodeStep(tensor(new long[] { 9, 11 }).view(2, 1), positions, cache);
            var second = decoder.DecodeStep(tensor(new long[] { 12, 7 }).view(2, 1), positions + 1, cache);
            return cat([first, second], 1).to(ScalarType.Float64); // [2, 2, V]
        }
        var ours = Decode(kernels: true);
        var libtorch = Decode(kernels: false);
        double scale = libtorch.abs().max().ToDouble();
        double diff = (ours - libtorch).abs().max().ToDouble();
        Assert.True(diff < 0.03 * scale, $"kernel decode differs from LibTorch decode by {diff} (logit scale {scale})");
        Assert.Equal(libtorch.argmax(-1).data<long>().ToArray(), ours.argmax(-1).data<long>().ToArray());
    }
}
