using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Constant Scalars for tensor arithmetic, created once for the process. TorchSharp turns every .NET
/// number given to an operator (x * 0.5, x.masked_fill(m, 0), x.clamp_min(1e-12)) into a native Scalar
/// that nobody disposes; the finalizer thread then frees it while the main thread runs LibTorch, a
/// race this project has seen crash long runs (see <see cref="NativeSafety"/>). Per-token and per-step
/// code therefore names its Scalars: these constants, a module's own (disposed with it), or a
/// `using var` for a value that changes per step.
/// </summary>
public static class Scalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
    public static readonly Scalar MinusOne = (-1L).ToScalar();
    public static readonly Scalar ZeroF = 0.0.ToScalar();
    public static readonly Scalar OneF = 1.0.ToScalar();
    public static readonly Scalar Two = 2.ToScalar();
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
    /// <summary>The label of unsupervised positions (transformers' ignore_index).</summary>
    public static readonly Scalar IgnoreIndex = (-100L).ToScalar();
}

/// <summary>
/// Tensor operations that TorchSharp would otherwise give an implicit Scalar: an addition without an
/// explicit alpha (x + y calls add(y, 1)), and reading a one-element tensor's value (ToDouble and its
/// kin go through a native Scalar nobody disposes).
/// </summary>
public static class ScalarFree
{
    /// <summary>a + b (alpha 1, as TorchSharp's operator passes it).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, Scalars.One);

    /// <summary>a += b in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, Scalars.One);

    /// <summary>a + s for a Scalar s (alpha 1).</summary>
    public static Tensor Plus(this Tensor a, Scalar s) => a.add(s, Scalars.One);

    /// <summary>a += s in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Scalar s) => a.add_(s, Scalars.One);

    /// <summary>The value of a one-element tensor as a double (what ToDouble() gives, without its Scalar).</summary>
    public static double ReadDouble(this Tensor t)
    {
        if (t.device_type != DeviceType.CPU) { using var c = t.cpu(); return ReadDouble(c); }
        return t.dtype switch
        {
            ScalarType.Float64 => t.item<double>(),
            ScalarType.Float32 => t.item<float>(),
            ScalarType.Int64 => t.item<long>(),
            ScalarType.Int32 => t.item<int>(),
            ScalarType.Bool => t.item<bool>() ? 1 : 0,
            _ => ReadWidened(t),
        };

        static double ReadWidened(Tensor t)
        {
            using var f = t.to(ScalarType.Float64);
            return f.item<double>();
        }
    }

    /// <summary>The value of a one-element integer tensor (what ToInt64() gives, without its Scalar).</summary>
    public static long ReadLong(this Tensor t)
    {
        if (t.device_type != DeviceType.CPU || t.dtype != ScalarType.Int64)
        {
            using var c = t.to(ScalarType.Int64, CPU);
            return c.item<long>();
        }
        return t.item<long>();
    }

    /// <summary>The value of a one-element bool tensor (what ToBoolean() gives, without its Scalar).</summary>
    public static bool ReadBool(this Tensor t)
    {
        if (t.device_type != DeviceType.CPU || t.dtype != ScalarType.Bool)
        {
            using var c = t.to(ScalarType.Bool, CPU);
            return c.item<bool>();
        }
        return t.item<bool>();
    }
}
