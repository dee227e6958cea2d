using LVPrune.Generation;
using static TorchSharp.torch;

namespace LVPrune.Tests.Generation;

/// <summary>The sampler against a float64 computation of transformers' rules (temperature, then top-p, then a draw).</summary>
public class SamplerTests
{
    private static readonly double[][] Logits =
    [
        [2.0, 1.0, 0.5, -1.0, 3.0, 0.0],
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        [-3.0, 5.0, 4.9, 0.0, 1.0, -2.0],
    ];

    private static Tensor LogitsTensor() => tensor(Logits.SelectMany(r => r.Select(v => (float)v)).ToArray(), [Logits.Length, Logits[0].Length]);

    /// <summary>transformers' TopPLogitsWarper on softmax(logits / T), in float64: sort ascending, drop the tokens whose
    /// cumulative probability stays at or below 1 - top_p (never the most likely), renormalise.</summary>
    private static double[] Reference(double[] logits, double temperature, double topP)
    {
        var scaled = logits.Select(l => l / temperature).ToArray();
        double max = scaled.Max();
        var p = scaled.Select(s => Math.Exp(s - max)).ToArray();
        double sum = p.Sum();
        p = p.Select(x => x / sum).ToArray();
        var ascending = Enumerable.Range(0, p.Length).OrderBy(i => p[i]).ToArray();
        var keep = new bool[p.Length];
        double cumulative = 0;
        for (int r = 0; r < ascending.Length; r++)
        {
            cumulative += p[ascending[r]];
            keep[ascending[r]] = cumulative > 1 - topP || r == ascending.Length - 1;
        }
        double kept = Enumerable.Range(0, p.Length).Where(i => keep[i]).Sum(i => p[i]);
        return Enumerable.Range(0, p.Length).Select(i => keep[i] ? p[i] / kept : 0).ToArray();
    }

    [Fact]
    public void Greedy_IsTheArgmaxOfEachRow()
    {
        using var sampler = new Sampler(new GenerationOptions { Temperature = 0 });
        var got = sampler.Next(LogitsTensor()).data<long>().ToArray();
        Assert.Equal(Logits.Select(r => (long)Array.IndexOf(r, r.Max())).ToArray(), got);
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.7, 1.0)]
    [InlineData(1.3, 0.8)]
    [InlineData(0.5, 0.5)]
    public void Distribution_EqualsTheReference(double temperature, double topP)
    {
        using var sampler = new Sampler(new GenerationOptions { Temperature = temperature, TopP = topP });
        var got = sampler.Distribution(LogitsTensor()).to(ScalarType.Float64);
        for (int b = 0; b < Logits.Length; b++)
        {
            var want = Reference(Logits[b], temperature, topP);
            var row = got[b].data<double>().ToArray();
            for (int v = 0; v < want.Length; v++) Assert.True(Math.Abs(row[v] - want[v]) < 1e-6, $"row {b} token {v}: {row[v]} vs {want[v]}");
        }
    }

    [Fact]
    public void Draws_FollowTheDistribution_AndNeverLeaveTheNucleus()
    {
        const int rows = 40_000;
        double temperature = 1.3, topP = 0.8;
        var want = Reference(Logits[0], temperature, topP);
        using var sampler = new Sampler(new GenerationOptions { Temperature = temperature, TopP = topP, Seed = 7 });
        var logits = LogitsTensor()[0].unsqueeze(0).expand(rows, Logits[0].Length).contiguous();
        var counts = new int[want.Length];
        foreach (long t in sampler.Next(logits).data<long>().ToArray()) counts[t]++;
        for (int v = 0; v < want.Length; v++)
        {
            if (want[v] == 0) { Assert.Equal(0, counts[v]); continue; }
            double sigma = Math.Sqrt(rows * want[v] * (1 - want[v]));
            Assert.True(Math.Abs(counts[v] - rows * want[v]) < 5 * sigma, $"token {v}: {counts[v]} draws, expected {rows * want[v]:F0} ± {sigma:F0}");
        }
        Assert.Contains(want, p => p == 0); // the nucleus left something out, or this proves nothing

        // The same seed draws the same tokens.
        using var again = new Sampler(new GenerationOptions { Temperature = temperature, TopP = topP, Seed = 7 });
        using var first = new Sampler(new GenerationOptions { Temperature = temperature, TopP = topP, Seed = 7 });
        Assert.Equal(first.Next(LogitsTensor()).data<long>().ToArray(), again.Next(LogitsTensor()).data<long>().ToArray());
    }
}
