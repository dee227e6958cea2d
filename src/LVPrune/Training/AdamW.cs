using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using LVPrune.Models;

namespace LVPrune.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter), the same update as torch.optim.AdamW: decoupled weight decay
/// p -= lr * wd * p, then m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
/// p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps). Written here (not TorchSharp's) so its
/// state is a set of named tensors that checkpoints store in safetensors and restore exactly.
/// Moments are kept in fp32 whatever the parameters' dtype.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly (string Name, Parameter Param)[] _params;
    private readonly Tensor[] _m, _v;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;
    public double WeightDecay { get; init; } = 0.0;
    public long Step { get; private set; }

    public AdamW(IEnumerable<(string Name, Parameter Param)> parameters)
    {
        _params = parameters.ToArray();
        _m = _params.Select(p => zeros(p.Param.shape, ScalarType.Float32, p.Param.device).DetachFromDisposeScope()).ToArray();
        _v = _params.Select(p => zeros(p.Param.shape, ScalarType.Float32, p.Param.device).DetachFromDisposeScope()).ToArray();
    }

    public IReadOnlyList<(string Name, Parameter Param)> Parameters => _params;

    public void ZeroGrad()
    {
        // Each .grad access makes a new wrapper: dispose them here rather than leave them to the finalizer thread.
        using var scope = NewDisposeScope();
        foreach (var (_, p) in _params) p.grad?.zero_();
    }

    public void Update(double lr)
    {
        Step++;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double bc1 = 1 - Math.Pow(Beta1, Step), bc2 = 1 - Math.Pow(Beta2, Step);
        // This step's constants as explicit Scalars (an implicit one per operation would be left to the finalizer).
        using var decay = (1 - lr * WeightDecay).ToScalar();
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var biasCorrection2 = bc2.ToScalar();
        using var eps = Eps.ToScalar();
        using var stepSize = (-lr / bc1).ToScalar();
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i].Param;
            if (p.grad is null) continue;
            var g = p.grad.to(ScalarType.Float32);
            var w = p.to(ScalarType.Float32);
            if (WeightDecay != 0) w.mul_(decay);
            _m[i].mul_(beta1).add_(g, alpha: oneMinusBeta1);
            _v[i].mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
            var denom = _v[i].div(biasCorrection2).sqrt_().PlusInPlace(eps);
            w.addcdiv_(_m[i], denom, value: stepSize);
            p.copy_(w);
        }
    }

    /// <summary>Named state for a checkpoint: "m.{name}", "v.{name}" (the step goes in the JSON).</summary>
    public Dictionary<string, Tensor> State()
    {
        var state = new Dictionary<string, Tensor>();
        for (int i = 0; i < _params.Length; i++)
        {
            state["m." + _params[i].Name] = _m[i];
            state["v." + _params[i].Name] = _v[i];
        }
        return state;
    }

    public void Restore(Func<string, Tensor> read, long step)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < _params.Length; i++)
        {
            using var m = read("m." + _params[i].Name);
            using var v = read("v." + _params[i].Name);
            _m[i].copy_(m);
            _v[i].copy_(v);
        }
        Step = step;
    }

    public void Dispose()
    {
        foreach (var t in _m) t.Dispose();
        foreach (var t in _v) t.Dispose();
    }
}
