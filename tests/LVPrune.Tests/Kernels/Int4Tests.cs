using LVPrune.Kernels;
using LVPrune.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Kernels;

public class Int4Tests
{
    [Fact]
    public void Quantize_PacksEvenInputsLow_OddInputsHigh_WithinHalfAStep()
    {
        using var scope = NewDisposeScope();
        // One group: w[k] = (k - 16) / 16 * 7 -> max |w| = 7 (k = 0), scale 1, q = round(w).
        var w = (arange(32, ScalarType.Float32).sub(16).div(16).mul(7)).view(1, 32);
        using var q = Int4Weight.Quantize(w);
        Assert.Equal(1f, q.Scales.item<float>());
        var bytes = q.Packed.data<byte>().ToArray();
        for (int k = 0; k < 32; k++)
        {
            int nibble = k % 2 == 0 ? bytes[k / 2] & 15 : bytes[k / 2] >> 4;
            Assert.Equal((int)MathF.Round((k - 16) / 16f * 7), nibble - 8);
        }
        var big = randn([40, 128], generator: new Generator(2));
        using var qb = Int4Weight.Quantize(big);
        var error = (qb.Dequantize() - big).abs().view(40, 4, 32).amax([-1]);
        var halfStep = big.abs().view(40, 4, 32).amax([-1]) / 7 / 2;
        Assert.True(error.le(halfStep * (1 + 1e-5)).all().item<bool>());
    }

    [Theory]
    [IsaData(KernelIsa.Avx2)]
    [IsaData(KernelIsa.Avx512)]
    public void Gemm_And_Gemv_MatchFloat64OnTheDequantizedWeight(KernelIsa isa)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(4);
        int n = 70, k = 320;
        using var w = Int4Weight.Quantize(randn([n, k], generator: gen) * 0.05);
        var exactW = w.Dequantize(ScalarType.Float64);
        var bias = randn([n], generator: gen);
        foreach (int m in new[] { 1, 13 })
        {
            var x = randn([m, k], generator: gen);
            var products = new List<(string, Tensor)>
            {
                ("gemm", WeightGemm.Linear(x, w, bias, isa)),
                ("gemm small blocks", WeightGemm.Linear(x, w, bias, isa, new GemmBlocking(Kc: 64, Mc: 12, Nc: 32))),
            };
            if (m <= Int8Gemv.MaxRows) products.Add(("gemv", Int4Gemv.Linear(x, w, bias, isa)));
            var x64 = x.to(ScalarType.Float64);
            var want = x64.matmul(exactW.t()) + bias.to(ScalarType.Float64);
            var mag = (x64.abs().matmul(exactW.abs().t()) + want.abs()).data<double>().ToArray();
            var exact = want.data<double>().ToArray();
            foreach (var (what, y) in products)
            {
                var got = y.to(ScalarType.Float64).data<double>().ToArray();
                for (int i = 0; i < got.Length; i++)
                    Assert.True(Math.Abs(got[i] - exact[i]) <= KernelFacts.DotBound(k + 1, mag[i], exact[i]), $"{isa} {what} m={m}: element {i} = {got[i]}, float64 {exact[i]}");
            }
        }
    }
}
