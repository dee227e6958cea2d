using LVPrune.Kernels;
using LVPrune.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Kernels;

public class WeightGemmTests
{
    public enum Storage { Fp32, Bf16, Int8Group32, Int8Group64 }

    /// <summary>
    /// Y = X W^T + b against float64 on the exact values the kernel reads (the bf16 weight widened,
    /// the int8 weight dequantized): every element within the fp32 dot-product rounding bound. Shapes
    /// are not multiples of the tiles (6x16 / 12x32), and the small blocking makes K span several
    /// kc slices, M several mc blocks and N several column blocks (work items on both cores).
    /// </summary>
    [Theory]
    [IsaData(KernelIsa.Avx2, Storage.Fp32, 13, 50, 300)]
    [IsaData(KernelIsa.Avx2, Storage.Bf16, 1, 17, 37)]
    [IsaData(KernelIsa.Avx2, Storage.Bf16, 25, 101, 513)]
    [IsaData(KernelIsa.Avx2, Storage.Int8Group32, 7, 33, 320)]
    [IsaData(KernelIsa.Avx2, Storage.Int8Group64, 31, 70, 192)]
    [IsaData(KernelIsa.Avx512, Storage.Fp32, 13, 50, 300)]
    [IsaData(KernelIsa.Avx512, Storage.Bf16, 1, 17, 37)]
    [IsaData(KernelIsa.Avx512, Storage.Bf16, 25, 101, 513)]
    [IsaData(KernelIsa.Avx512, Storage.Int8Group32, 7, 33, 320)]
    [IsaData(KernelIsa.Avx512, Storage.Int8Group64, 31, 70, 192)]
    public void MatchesFloat64_OnOddShapes(KernelIsa isa, Storage storage, int m, int n, int k)
    {
        foreach (var blocking in new[] { GemmBlocking.Default, new GemmBlocking(Kc: 64, Mc: 12, Nc: 32) })
            CheckAgainstFloat64(isa, storage, m, n, k, withBias: m % 2 == 1, blocking);
    }

    private static void CheckAgainstFloat64(KernelIsa isa, Storage storage, int m, int n, int k, bool withBias, GemmBlocking blocking)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gen = new Generator(17);
        var x = randn([m, k], generator: gen);
        var w = randn([n, k], generator: gen) * 0.05;
        var bias = withBias ? randn([n], generator: gen) : null;
        Tensor y, exactW;
        switch (storage)
        {
            case Storage.Fp32: y = WeightGemm.Linear(x, w, bias, isa, blocking); exactW = w.to(ScalarType.Float64); break;
            case Storage.Bf16:
                var wb = w.to(ScalarType.BFloat16);
                y = WeightGemm.Linear(x, wb, bias, isa, blocking); exactW = wb.to(ScalarType.Float64); break;
            default:
                using (var q = QuantizedWeight.Quantize(w, storage == Storage.Int8Group32 ? 32 : 64))
                {
                    y = WeightGemm.Linear(x, q, bias, isa, blocking);
                    exactW = q.Values.to(ScalarType.Float64).view(n, k / q.GroupSize, q.GroupSize).mul(q.Scales.to(ScalarType.Float64).unsqueeze(-1)).view(n, k);
                }
                break;
        }
        Assert.Equal(new long[] { m, n }, y.shape);
        Assert.Equal(ScalarType.Float32, y.dtype);
        var x64 = x.to(ScalarType.Float64);
        var want = x64.matmul(exactW.t());
        if (bias is not null) want += bias.to(ScalarType.Float64);
        var magnitude = x64.abs().matmul(exactW.abs().t());
        var got = y.to(ScalarType.Float64).data<double>().ToArray();
        var exact = want.data<double>().ToArray();
        var mag = magnitude.data<double>().ToArray();
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - exact[i]) <= KernelFacts.DotBound(k + 1, mag[i] + (bias is null ? 0 : Math.Abs(exact[i])), exact[i]),
                $"{isa} {storage} [{m}x{k}]x[{n}x{k}]^T kc={blocking.Kc}: element ({i / n}, {i % n}) = {got[i]}, float64 says {exact[i]}");
    }

    [Theory]
    [IsaData(KernelIsa.Avx2)]
    [IsaData(KernelIsa.Avx512)]
    public void AgreesWithLibTorchFp32_AndKeepsLeadingDimensions(KernelIsa isa)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gen = new Generator(5);
        var x = randn([2, 37, 640], generator: gen);                                 // [B, T, K]
        var w = (randn([300, 640], generator: gen) * 0.05).to(ScalarType.BFloat16);   // [N, K]
        var ours = WeightGemm.Linear(x, w, null, isa);                                 // [B, T, N]
        var libtorch = nn.functional.linear(x, w.to(ScalarType.Float32));
        Assert.Equal(new long[] { 2, 37, 300 }, ours.shape);
        double scale = libtorch.abs().max().ToDouble();
        double diff = (ours - libtorch).abs().max().ToDouble();
        Assert.True(diff <= 1e-5 * scale, $"max |ours - LibTorch| = {diff} at scale {scale}");
    }

    [Avx512Fact]
    public void Avx2AndAvx512Tiles_GiveTheSameProduct_UpToSummationOrder()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(9);
        var x = randn([40, 256], generator: gen);
        var w = randn([96, 256], generator: gen).to(ScalarType.BFloat16);
        var a = WeightGemm.Linear(x, w, null, KernelIsa.Avx2);
        var b = WeightGemm.Linear(x, w, null, KernelIsa.Avx512);
        // Both sum k in the same order per element with FMA: the tiles differ only in which element sits where.
        Assert.True(a.eq(b).all().item<bool>(), "AVX2 and AVX-512 kernels differ");
    }

    [Avx2Fact]
    public void RejectsWrongInputs_WithTheShapeAtFault()
    {
        using var scope = NewDisposeScope();
        var isa = KernelIsa.Avx2;
        var w = zeros(8, 32, ScalarType.BFloat16);
        Assert.Contains("32 inputs", Assert.Throws<ArgumentException>(() => WeightGemm.Linear(zeros(2, 31), w, null, isa)).Message);
        Assert.Contains("fp32 activations", Assert.Throws<ArgumentException>(() => WeightGemm.Linear(zeros(2, 32, ScalarType.BFloat16), w, null, isa)).Message);
        Assert.Contains("bias must be [8]", Assert.Throws<ArgumentException>(() => WeightGemm.Linear(zeros(2, 32), w, zeros(7), isa)).Message);
    }

    /// <summary>The benchmark's "widen a bf16 block, then LibTorch fp32" candidate computes the same product (blocks of 512 rows, N not a multiple).</summary>
    [Fact]
    public void WidenedBlocksCandidate_MatchesFloat64()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(21);
        var x = randn([9, 96], generator: gen);
        var w = (randn([1100, 96], generator: gen) * 0.05).to(ScalarType.BFloat16);
        var y = LVPrune.Benchmarking.KernelBench.WidenedBlocks(x, w, empty(LVPrune.Benchmarking.KernelBench.WidenBlockRows, 96));
        var exact = x.to(ScalarType.Float64).matmul(w.to(ScalarType.Float64).t());
        double scale = exact.abs().max().ToDouble();
        Assert.True((y.to(ScalarType.Float64) - exact).abs().max().ToDouble() <= 1e-5 * scale);
    }
}
