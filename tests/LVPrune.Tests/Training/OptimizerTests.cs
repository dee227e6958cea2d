using LVPrune.Training;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace LVPrune.Tests.Training;

/// <summary>The learning-rate schedule and AdamW against their closed forms and a float64 reference of the update rule.</summary>
public class OptimizerTests
{
    [Fact]
    public void Schedule_WarmsUpLinearly_ThenDecaysAlongACosineToZero()
    {
        const double peak = 2e-3;
        var schedule = new LrSchedule(peak, TotalSteps: 100, WarmupRatio: 0.05);
        Assert.Equal(5, schedule.WarmupSteps); // ceil(0.05 * 100)
        for (int step = 0; step < 100; step++)
        {
            double want = step < 5 ? peak * (step + 1) / 5 : peak * 0.5 * (1 + Math.Cos(Math.PI * (step - 5) / 95.0));
            Assert.Equal(want, schedule.At(step), 15);
        }
        Assert.Equal(peak, schedule.At(4), 15);                 // the last warm-up step reaches the peak
        Assert.Equal(peak, schedule.At(5), 15);                 // the decay starts from it
        Assert.Equal(0, schedule.At(100), 15);                  // and ends at zero
        Assert.Equal(peak * 0.5 * (1 + Math.Cos(Math.PI * 2 / 3.0)), new LrSchedule(peak, 3, 0).At(2), 15); // no warm-up
    }

    [Fact]
    public void AdamW_EqualsTheUpdateRuleInFloat64_OverSeveralSteps()
    {
        const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.1;
        var gen = new TorchSharp.torch.Generator(3);
        var p = new Parameter(randn([4, 5], generator: gen));
        var w = p.detach().to(ScalarType.Float64).data<double>().ToArray();
        var m = new double[w.Length];
        var v = new double[w.Length];
        using var optimizer = new AdamW([("p", p)]) { Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay };
        double[] rates = [1e-2, 5e-3, 2e-2, 1e-3, 1e-2];
        for (int t = 1; t <= rates.Length; t++)
        {
            double lr = rates[t - 1];
            var grad = randn([4, 5], generator: gen);
            p.grad = grad.clone();
            optimizer.Update(lr);
            var g = grad.to(ScalarType.Float64).data<double>().ToArray();
            for (int i = 0; i < w.Length; i++)
            {
                // torch.optim.AdamW: decoupled decay, moments, bias corrections.
                w[i] *= 1 - lr * weightDecay;
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(beta1, t)), vHat = v[i] / (1 - Math.Pow(beta2, t));
                w[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            var got = p.detach().to(ScalarType.Float64).data<double>().ToArray();
            for (int i = 0; i < w.Length; i++) Assert.True(Math.Abs(got[i] - w[i]) < 1e-6 * Math.Max(1, Math.Abs(w[i])), $"step {t} element {i}: {got[i]} vs {w[i]}");
        }
        Assert.Equal(rates.Length, optimizer.Step);
        // Its state is what a checkpoint stores and restores.
        var state = optimizer.State();
        var stored = state["m.p"].to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < m.Length; i++) Assert.True(Math.Abs(stored[i] - m[i]) < 1e-6, $"first moment {i}: {stored[i]} vs {m[i]}");
    }
}
