using LVPrune.Kernels;
using LVPrune.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Kernels;

public class GemvTests
{
    /// <summary>Checks y [rows, N] against float64 x · exactW^T + b within the fp32 dot-product bound (times <paramref name="slack"/>).</summary>
    private static void AssertWithinBound(Tensor y, Tensor x, Tensor exactW, Tensor? bias, string what, double slack = 1)
    {
        var x64 = x.to(ScalarType.Float64).reshape(-1, x.shape[^1]);
        var want = x64.matmul(exactW.t());
        if (bias is not null) want += bias.to(ScalarType.Float64);
        var mag = x64.abs().matmul(exactW.abs().t()).data<double>().ToArray();
        var got = y.reshape(-1, exactW.shape[0]).to(ScalarType.Float64).data<double>().ToArray();
        var exact = want.data<double>().ToArray();
        int k = (int)x.shape[^1];
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - exact[i]) <= slack * KernelFacts.DotBound(k + 1, mag[i] + Math.Abs(exact[i]), exact[i]),
                $"{what}: element {i} = {got[i]}, float64 says {exact[i]}");
    }

    [Theory]
    [IsaData(KernelIsa.Avx2, 1, 77, 300)]
    [IsaData(KernelIsa.Avx2, 3, 513, 130)]
    [IsaData(KernelIsa.Avx512, 1, 77, 300)]
    [IsaData(KernelIsa.Avx512, 4, 513, 130)]
    public void Bf16Weights_Fp32Output_MatchFloat64(KernelIsa isa, int rows, int n, int k)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(3);
        var x = randn([rows, 1, k], generator: gen);
        var w = (randn([n, k], generator: gen) * 0.05).to(ScalarType.BFloat16);
        var b = randn([n], generator: gen);
        var y = Bf16Fp32Gemv.Linear(x, w, b, isa);
        Assert.Equal(new long[] { rows, 1, n }, y.shape);
        Assert.Equal(ScalarType.Float32, y.dtype);
        AssertWithinBound(y, x, w.to(ScalarType.Float64), b, $"bf16 GEMV {isa}");
    }

    [Theory]
    [IsaData(KernelIsa.Avx2, 32, 1)]
    [IsaData(KernelIsa.Avx2, 64, 3)]
    [IsaData(KernelIsa.Avx512, 32, 4)]
    [IsaData(KernelIsa.Avx512, 64, 1)]
    public void Int8Weights_Fp32Activations_MatchFloat64OnTheDequantizedWeight(KernelIsa isa, int group, int rows)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(4);
        var x = randn([rows, 384], generator: gen);
        using var q = QuantizedWeight.Quantize(randn([300, 384], generator: gen) * 0.05, group);
        var b = randn([300], generator: gen);
        var y = Int8Gemv.Linear(x, q, b, isa);
        AssertWithinBound(y, x, q.Dequantize(ScalarType.Float64), b, $"int8 GEMV {isa} g{group}");
    }

    /// <summary>
    /// VNNI quantizes x to int8 per group too: the int32 part is exact, so the error against float64
    /// on the dequantized weight is the activations' rounding, bounded by Σ_g sw_g · (sx_g / 2) · Σ|q_w|
    /// (each |x - xq·sx| is at most half a step), plus fp32 rounding. The test measures it too.
    /// </summary>
    [Theory]
    [Int8ModeData(32, Int8GemvMode.Int8Activations)]
    [Int8ModeData(64, Int8GemvMode.Int8Activations)]
    [Int8ModeData(32, Int8GemvMode.VnniInt8Activations)]
    [Int8ModeData(64, Int8GemvMode.VnniInt8Activations)]
    public void Int8Weights_Int8Activations_WithinTheActivationRoundingBound(int group, Int8GemvMode mode)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(5);
        int k = 512, n = 260;
        var x = randn([2, k], generator: gen);
        using var q = QuantizedWeight.Quantize(randn([n, k], generator: gen) * 0.05, group);
        var y = Int8Gemv.Linear(x, q, null, KernelIsa.Avx2, mode).to(ScalarType.Float64);
        var w64 = q.Dequantize(ScalarType.Float64);
        var exact = x.to(ScalarType.Float64).matmul(w64.t());
        // Half a quantization step of x per group, times the group's Σ|w|.
        var xStep = x.to(ScalarType.Float64).view(2, k / group, group).abs().amax([-1]).div(127.0 * 2);            // [rows, groups]
        var wAbs = w64.abs().view(n, k / group, group).sum([-1]);                                                   // [n, groups]
        var bound = xStep.matmul(wAbs.t()) + exact.abs() * 1e-5 + 1e-6;                                             // [rows, n]
        var error = (y - exact).abs();
        Assert.True(error.le(bound).all().item<bool>(), $"{mode} error {error.max().ToDouble()} exceeds its bound");
        double relative = (error.norm() / exact.norm()).ToDouble();
        Assert.True(relative < 0.01, $"{mode} relative error {relative}");
    }

    [Avx2Fact]
    public void SeveralWeightsInOneCall_EqualSeparateCalls_BitForBit()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(6);
        var x = randn([1, 1, 128], generator: gen);
        var ws = new[] { 300, 40, 513 }.Select(n => (randn([n, 128], generator: gen) * 0.1).to(ScalarType.BFloat16)).ToArray();
        var together = Bf16Fp32Gemv.Linears(x, ws.Select(w => (w, (Tensor?)null)).ToArray(), KernelIsa.Avx2);
        for (int i = 0; i < ws.Length; i++)
            Assert.True(together[i].eq(Bf16Fp32Gemv.Linear(x, ws[i], null, KernelIsa.Avx2)).all().item<bool>(), $"product {i}");
        var qs = ws.Select(w => QuantizedWeight.Quantize(w, 32)).ToArray();
        var qTogether = Int8Gemv.Linears(x, qs.Select(q => (q, (Tensor?)null)).ToArray(), KernelIsa.Avx2);
        for (int i = 0; i < qs.Length; i++)
            Assert.True(qTogether[i].eq(Int8Gemv.Linear(x, qs[i], null, KernelIsa.Avx2)).all().item<bool>(), $"int8 product {i}");
        foreach (var q in qs) q.Dispose();
    }

    [Avx2Fact]
    public void RejectsPrefillSizedInputs_AndWrongShapes()
    {
        using var scope = NewDisposeScope();
        var w = zeros(8, 64, ScalarType.BFloat16);
        Assert.Contains("at most 4", Assert.Throws<ArgumentException>(() => Bf16Fp32Gemv.Linear(zeros(5, 64), w, null, KernelIsa.Avx2)).Message);
        Assert.Contains("64 inputs, x has 32", Assert.Throws<ArgumentException>(() => Bf16Fp32Gemv.Linear(zeros(1, 32), w, null, KernelIsa.Avx2)).Message);
        Assert.Contains("bias 0 must be [8]", Assert.Throws<ArgumentException>(() => Bf16Fp32Gemv.Linear(zeros(1, 64), w, zeros(3), KernelIsa.Avx2)).Message);
    }
}

/// <summary>A row of the int8-activation test, skipped where this CPU cannot run its mode (VNNI needs AVX-VNNI).</summary>
public sealed class Int8ModeDataAttribute(int group, Int8GemvMode mode) : IsaDataAttribute(
    Int8Gemv.Supported(KernelIsa.Avx2, mode) ? null : $"this CPU ({CpuFeatures.Current}) cannot run {mode}", [group, mode]);
