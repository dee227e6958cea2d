using LVPrune.Kernels;
using LVPrune.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Kernels;

public class QuantizedForwardTests
{
    /// <summary>
    /// A LLaMA MLP block, down(silu(gate(x)) * up(x)), with int8 weights through the kernels (prefill
    /// through WeightGemm, decode through Int8Gemv) equals the same block run by LibTorch in fp32 with
    /// the dequantized weights, to fp32 rounding: quantization changes the weights, never the math.
    /// </summary>
    [Theory]
    [IsaData(KernelIsa.Avx2)]
    [IsaData(KernelIsa.Avx512)]
    public void Int8MlpBlock_EqualsTheBlockWithDequantizedWeights(KernelIsa isa)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gen = new Generator(12);
        int d = 128, f = 352;
        using var gate = QuantizedWeight.Quantize(randn([f, d], generator: gen) * 0.1, 32);
        using var up = QuantizedWeight.Quantize(randn([f, d], generator: gen) * 0.1, 32);
        using var down = QuantizedWeight.Quantize(randn([d, f], generator: gen) * 0.1, 32);
        Tensor Reference(Tensor x) =>
            nn.functional.linear(nn.functional.silu(nn.functional.linear(x, gate.Dequantize())) * nn.functional.linear(x, up.Dequantize()), down.Dequantize());

        var prompt = randn([1, 19, d], generator: gen);                                                 // [B, T, D]
        var prefill = WeightGemm.Linear(nn.functional.silu(WeightGemm.Linear(prompt, gate, null, isa)) * WeightGemm.Linear(prompt, up, null, isa), down, null, isa);
        var token = randn([1, 1, d], generator: gen);                                                   // one decode step
        var gu = Int8Gemv.Linears(token, [(gate, null), (up, null)], isa);
        var decode = Int8Gemv.Linear(nn.functional.silu(gu[0]) * gu[1], down, null, isa);
        foreach (var (ours, x) in new[] { (prefill, prompt), (decode, token) })
        {
            var want = Reference(x);
            double scale = want.abs().max().ToDouble();
            double diff = (ours - want).abs().max().ToDouble();
            Assert.True(diff <= 1e-5 * scale, $"{isa}: int8 block differs from the dequantized block by {diff} (scale {scale})");
        }
    }
}
