using TorchSharp;

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
