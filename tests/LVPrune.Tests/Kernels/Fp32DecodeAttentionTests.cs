using LVPrune.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Kernels;

public class Fp32DecodeAttentionTests
{
    /// <summary>
    /// One query over a partly filled fp32 cache, with grouped-query heads and a padded position,
    /// against softmax(q K^T / sqrt(d)) V computed in float64 with the same visibility rule (a
    /// padded key is hidden unless it is the query's own, the last one).
    /// </summary>
    [Theory]
    [IsaData(KernelIsa.Avx2, 8, 8, 64, false)]
    [IsaData(KernelIsa.Avx2, 8, 2, 40, true)]
    [IsaData(KernelIsa.Avx512, 8, 8, 64, true)]
    [IsaData(KernelIsa.Avx512, 6, 3, 32, false)]
    public void MatchesFloat64(KernelIsa isa, int heads, int kvHeads, int headDim, bool padding)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(8);
        int batch = 2, capacity = 50, length = 37;
        var q = randn([batch, heads, 1, headDim], generator: gen);
        var k = randn([batch, kvHeads, capacity, headDim], generator: gen);
        var v = randn([batch, kvHeads, capacity, headDim], generator: gen);
        var valid = ones([batch, capacity], ScalarType.Bool);
        if (padding) { valid[0, 3] = false; valid[1, 0] = false; valid[1, 1] = false; }
        var y = Fp32DecodeAttention.Attend(q, k, v, length, padding ? valid : null, isa);
        Assert.Equal(new long[] { batch, heads, 1, headDim }, y.shape);

        int group = heads / kvHeads;
        var k64 = k[.., .., ..length].to(ScalarType.Float64).repeat_interleave(group, 1);        // [B, H, L, Dh]
        var v64 = v[.., .., ..length].to(ScalarType.Float64).repeat_interleave(group, 1);
        var scores = q.to(ScalarType.Float64).matmul(k64.transpose(2, 3)) / Math.Sqrt(headDim);  // [B, H, 1, L]
        var visible = valid[.., ..length].clone();
        visible[.., length - 1] = true;
        scores = scores.masked_fill(visible.logical_not().view(batch, 1, 1, length), double.NegativeInfinity);
        var want = scores.softmax(-1).matmul(v64);                                                  // [B, H, 1, Dh]
        double error = (y.to(ScalarType.Float64) - want).abs().max().ToDouble();
        // fp32 scores of Dh terms of N(0,1)^2 scale, an fp32 softmax and a weighted sum of unit values.
        Assert.True(error < 1e-5, $"{isa}: max error {error} against float64");
    }

    [Avx2Fact]
    public void RejectsALengthBeyondTheCache()
    {
        using var scope = NewDisposeScope();
        var k = zeros(1, 2, 10, 16);
        Assert.Contains("length 11", Assert.Throws<ArgumentException>(() => Fp32DecodeAttention.Attend(zeros(1, 2, 1, 16), k, k, 11, null, KernelIsa.Avx2)).Message);
    }
}
