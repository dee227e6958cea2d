using System.Diagnostics;
using LVPrune.Kernels;
using LVPrune.Quantization;
using static TorchSharp.torch;

namespace LVPrune.Benchmarking;

/// <summary>One measured candidate on one shape: a prefill GEMM (GFLOP/s) or a decode GEMV (GB/s of weight read).</summary>
public sealed record KernelBenchRow(string Kind, int M, int N, int K, string Candidate, double Seconds, double Gflops, double WeightGbs);

/// <summary>
/// Every candidate for the products of a LLaMA-7B layer, timed in one run so their ratios are
/// comparable on a shared machine: LibTorch's fp32 GEMM on fp32 weights (the throughput to beat),
/// LibTorch's fp32 GEMM over bf16 weight blocks widened just before use (bounded scratch), LibTorch's
/// bf16 GEMM (only where the CPU multiplies bf16 natively: elsewhere it takes minutes), and
/// <see cref="WeightGemm"/> on bf16 and int8 weights with each ISA this CPU runs. Medians after a
/// warm-up. Weights are random (speed does not depend on values).
/// </summary>
public static class KernelBench
{
    /// <summary>The 7B prefill products: q/k/v/o (4096 -> 4096), gate/up (4096 -> 11008), down (11008 -> 4096).</summary>
    public static IReadOnlyList<(int N, int K)> LlamaShapes { get; } = [(4096, 4096), (11008, 4096), (4096, 11008)];

    /// <summary>Rows of a 606-token prompt, and about what remains after LVPruning's stages at rho 0.5.</summary>
    public static IReadOnlyList<int> PrefillRows { get; } = [606, 300, 60];

    /// <summary>Rows of widened weight per block in the "widen, then LibTorch fp32" candidate.</summary>
    public const int WidenBlockRows = 512;

    public static IEnumerable<KernelBenchRow> Gemm(IReadOnlyList<int> rows, IReadOnlyList<(int N, int K)> shapes, int repeat, Action<string>? log = null, string? filter = null)
    {
        var features = CpuFeatures.Current;
        foreach (var (n, k) in shapes)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var w32 = rand(n, k).sub_(0.5f).mul_(0.05f);
            var wb = w32.to(ScalarType.BFloat16);
            using var w8 = QuantizedWeight.Quantize(w32, 32);
            using var w4 = Int4Weight.Quantize(w32);
            var scratch = empty(WidenBlockRows, k);
            foreach (int m in rows)
            {
                using var inner = NewDisposeScope();
                var x = rand(m, k).sub_(0.5f);
                var xb = x.to(ScalarType.BFloat16);
                var candidates = new List<(string Name, Func<Tensor> Run)>
                {
                    ("libtorch fp32 (fp32 weights)", () => nn.functional.linear(x, w32)),
                    ($"libtorch fp32 over bf16 blocks of {WidenBlockRows} rows", () => WidenedBlocks(x, wb, scratch)),
                };
                if (features.NativeBf16) candidates.Add(("libtorch bf16 (native)", () => nn.functional.linear(xb, wb)));
                foreach (var isa in new[] { KernelIsa.Avx2, KernelIsa.Avx512 }.Where(features.Supports))
                {
                    candidates.Add(($"lvprune {isa} bf16 weights", () => WeightGemm.Linear(x, wb, null, isa)));
                    candidates.Add(($"lvprune {isa} int8/32 weights", () => WeightGemm.Linear(x, w8, null, isa)));
                    candidates.Add(($"lvprune {isa} int4/32 weights", () => WeightGemm.Linear(x, w4, null, isa)));
                }
                var chosen = candidates.Where(c => Selected(c.Name, filter)).ToArray();
                var times = InterleavedMedians(repeat, chosen.Select(c => c.Run).ToArray());
                foreach (var ((name, _), seconds) in chosen.Zip(times))
                {
                    var row = new KernelBenchRow("gemm", m, n, k, name, seconds, 2.0 * m * n * k / seconds / 1e9, double.NaN);
                    log?.Invoke($"gemm {m,4} x {k,5} -> {n,5}  {name,-40} {row.Gflops,7:F1} GFLOP/s");
                    yield return row;
                }
            }
        }
    }

    /// <summary>
    /// Decode products (one row): GB/s of weight bytes read per candidate. Several copies of each
    /// weight (more than 256 MB in all) are cycled so that every call streams from memory, as in decoding.
    /// </summary>
    public static IEnumerable<KernelBenchRow> Gemv(IReadOnlyList<(int N, int K)> shapes, int repeat, Action<string>? log = null, string? filter = null)
    {
        var features = CpuFeatures.Current;
        foreach (var (n, k) in shapes)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int copies = (int)Math.Clamp((256L << 20) / ((long)n * k), 2, 16);
            var w32 = Enumerable.Range(0, copies).Select(_ => rand(n, k).sub_(0.5f).mul_(0.05f)).ToArray();
            var wb = w32.Select(w => w.to(ScalarType.BFloat16)).ToArray();
            var w8 = w32.Select(w => QuantizedWeight.Quantize(w, 32)).ToArray();
            var w4 = w32.Select(Int4Weight.Quantize).ToArray();
            var x = rand(1, k).sub_(0.5f);
            var xb = x.to(ScalarType.BFloat16);
            int next = 0;
            var candidates = new List<(string Name, double Bytes, Func<Tensor> Run)>
            {
                ("libtorch fp32 (fp32 weights)", 4.0 * n * k, () => nn.functional.linear(x, w32[next++ % copies])),
                ("libtorch bf16 -> bf16", 2.0 * n * k, () => nn.functional.linear(xb, wb[next++ % copies])),
            };
            if (Models.Bf16Gemv.Supported)
                candidates.Add(("lvprune Bf16Gemv (bf16 in/out, today's)", 2.0 * n * k, () => Models.Bf16Gemv.Linear(xb, wb[next++ % copies], null)));
            foreach (var isa in new[] { KernelIsa.Avx2, KernelIsa.Avx512 }.Where(features.Supports))
            {
                candidates.Add(($"lvprune {isa} bf16 weights, fp32 x/y", 2.0 * n * k, () => Bf16Fp32Gemv.Linear(x, wb[next++ % copies], null, isa)));
                candidates.Add(($"lvprune {isa} int8/32 weights, fp32 x", w8[0].Bytes, () => Int8Gemv.Linear(x, w8[next++ % copies], null, isa)));
                candidates.Add(($"lvprune {isa} int4/32 weights, fp32 x", n * (k / 2.0) + 4.0 * n * k / 32, () => Int4Gemv.Linear(x, w4[next++ % copies], null, isa)));
            }
            if (features.Supports(KernelIsa.Avx2))
                candidates.Add(("lvprune AVX2 int8/32 weights, int8 x", w8[0].Bytes, () => Int8Gemv.Linear(x, w8[next++ % copies], null, KernelIsa.Avx2, Int8GemvMode.Int8Activations)));
            if (Int8Gemv.Supported(KernelIsa.Avx2, Int8GemvMode.VnniInt8Activations))
                candidates.Add(("lvprune VNNI int8/32 weights, int8 x", w8[0].Bytes, () => Int8Gemv.Linear(x, w8[next++ % copies], null, KernelIsa.Avx2, Int8GemvMode.VnniInt8Activations)));
            var chosen = candidates.Where(c => Selected(c.Name, filter)).ToArray();
            var times = InterleavedMedians(repeat, chosen.Select(c => c.Run).ToArray());
            foreach (var ((name, bytes, _), seconds) in chosen.Zip(times))
            {
                var row = new KernelBenchRow("gemv", 1, n, k, name, seconds, 2.0 * n * k / seconds / 1e9, bytes / seconds / 1e9);
                log?.Invoke($"gemv    1 x {k,5} -> {n,5}  {name,-40} {row.WeightGbs,7:F1} GB/s  {seconds * 1e3,7:F3} ms");
                yield return row;
            }
            if (features.Supports(KernelIsa.Avx2) && Selected("int8 x", filter))
                log?.Invoke($"gemv    1 x {k,5} -> {n,5}  int8-x accuracy: relative error vs fp32 activations {Int8ActivationsRelativeError(w8[0], outliers: false):E2} " +
                            $"(normal x), {Int8ActivationsRelativeError(w8[0], outliers: true):E2} (1% of channels x20, as LLM activations have)");
            foreach (var q in w8) q.Dispose();
            foreach (var q in w4) q.Dispose();
        }
    }

    /// <summary>‖y_int8x - y_fp32x‖ / ‖y_fp32x‖ (VNNI or not: the same integers) for one random x: what quantizing the activations to int8 per group costs.</summary>
    public static double Int8ActivationsRelativeError(QuantizedWeight w, bool outliers)
    {
        using var scope = NewDisposeScope();
        var x = randn(1, w.InFeatures);
        if (outliers) x.index_put_(x.index_select(1, arange(0, w.InFeatures, 100)) * 20, TensorIndex.Colon, TensorIndex.Tensor(arange(0, w.InFeatures, 100)));
        var exact = Int8Gemv.Linear(x, w, null, KernelIsa.Avx2);
        var vnni = Int8Gemv.Linear(x, w, null, KernelIsa.Avx2, Int8GemvMode.Int8Activations);
        return ((vnni - exact).norm() / exact.norm()).item<float>();
    }

    /// <summary>
    /// Decode attention of one 7B layer (32 heads of 128, one query over <paramref name="length"/>
    /// cached tokens) over an fp32 cache: LibTorch's SDPA against <see cref="Fp32DecodeAttention"/>.
    /// Seconds per layer (Gflops holds GB/s of keys and values read, for comparison with the GEMVs).
    /// </summary>
    public static IEnumerable<KernelBenchRow> Attention(int length, int repeat, Action<string>? log = null, string? filter = null)
    {
        const int heads = 32, headDim = 128;
        int capacity = length + 32;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var q = rand(1, heads, 1, headDim);
        var k = rand(1, heads, capacity, headDim);
        var v = rand(1, heads, capacity, headDim);
        var kView = k.narrow(2, 0, length);
        var vView = v.narrow(2, 0, length);
        var candidates = new List<(string Name, Func<Tensor> Run)>
        {
            ("libtorch fp32 sdpa", () => nn.functional.scaled_dot_product_attention(q, kView, vView)),
        };
        foreach (var isa in new[] { KernelIsa.Avx2, KernelIsa.Avx512 }.Where(CpuFeatures.Current.Supports))
            candidates.Add(($"lvprune {isa} fp32 decode attention", () => Fp32DecodeAttention.Attend(q, k, v, length, null, isa)));
        double bytes = 2.0 * heads * length * headDim * 4;
        var chosen = candidates.Where(c => Selected(c.Name, filter)).ToArray();
        var times = InterleavedMedians(repeat, chosen.Select(c => c.Run).ToArray());
        foreach (var ((name, _), seconds) in chosen.Zip(times))
        {
            log?.Invoke($"attention 1 query over {length} tokens, 32x128  {name,-36} {seconds * 1e3,7:F3} ms/layer  {bytes / seconds / 1e9,6:F1} GB/s");
            yield return new KernelBenchRow("attention", 1, heads * headDim, length, name, seconds, double.NaN, bytes / seconds / 1e9);
        }
    }

    private static bool Selected(string name, string? filter) =>
        filter is null || filter.Split('|').Any(f => name.Contains(f, StringComparison.OrdinalIgnoreCase));

    /// <summary>x [M, K] fp32 times bf16 w [N, K]: each block of rows widened into one reused fp32 scratch, then LibTorch's fp32 GEMM.</summary>
    public static Tensor WidenedBlocks(Tensor x, Tensor w, Tensor scratch)
    {
        long n = w.shape[0], blockRows = scratch.shape[0];
        var y = empty(x.shape[0], n);
        for (long b0 = 0; b0 < n; b0 += blockRows)
        {
            long rows = Math.Min(blockRows, n - b0);
            using var block = scratch.narrow(0, 0, rows);
            using var source = w.narrow(0, b0, rows);
            block.copy_(source);                                  // bf16 -> fp32, [rows, K]
            using var part = x.matmul(block.t());                 // [M, rows]
            using var target = y.narrow(1, b0, rows);
            target.copy_(part);
        }
        return y;
    }

    /// <summary>
    /// Median seconds of each candidate, timed round-robin (one run of each, <paramref name="repeat"/>
    /// times, after one warm-up run of each): on a machine shared with other work, load that comes
    /// and goes then hits every candidate alike instead of whichever ran at the time.
    /// </summary>
    public static double[] InterleavedMedians(int repeat, IReadOnlyList<Func<Tensor>> runs)
    {
        foreach (var run in runs) run().Dispose();
        var times = runs.Select(_ => new double[repeat]).ToArray();
        for (int r = 0; r < repeat; r++)
            for (int c = 0; c < runs.Count; c++)
            {
                var sw = Stopwatch.StartNew();
                runs[c]().Dispose();
                times[c][r] = sw.Elapsed.TotalSeconds;
            }
        return times.Select(t => Statistics.Median(t)).ToArray();
    }
}
