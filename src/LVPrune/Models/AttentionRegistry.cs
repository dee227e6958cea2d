namespace LVPrune.Models;

/// <summary>
/// The attention functions a model can run, by name (transformers' ALL_ATTENTION_FUNCTIONS), and the
/// one dispatch point that picks a function for a forward pass. Per model, not per process: a kernel
/// registered for one model changes no other.
/// </summary>
public sealed class AttentionRegistry
{
    public const string Sdpa = "sdpa";
    public const string Bf16Decode = "bf16_decode";
    public const string Fp32Decode = "fp32_decode";

    private readonly Dictionary<string, IAttentionFunction> _functions = new(StringComparer.Ordinal);

    /// <summary>SDPA and the bf16 and fp32 decode kernels.</summary>
    public AttentionRegistry()
    {
        Register(SdpaAttention.Instance);
        Register(Bf16DecodeAttention.Instance);
        Register(Fp32DecodeAttentionFunction.Instance);
    }

    public void Register(IAttentionFunction function) => _functions[function.Name] = function;

    public IReadOnlyCollection<string> Names => _functions.Keys;

    public IAttentionFunction this[string name] =>
        _functions.TryGetValue(name, out var f) ? f : throw new LVPruneException($"unknown attention function '{name}' (known: {string.Join(", ", _functions.Keys)})");

    /// <summary>
    /// The function every layer of a pass runs: for a decode step (one new token over the cache) the
    /// decode kernel (<paramref name="decodeAttention"/>, else the runtime's, else bf16_decode) when the
    /// kernels are on and it can run this pass, otherwise the runtime's prefill function (which must
    /// support every pass). The fp32 decode kernel runs whenever it is the one named: on the fp32
    /// compute path the products are ours anyway.
    /// </summary>
    public IAttentionFunction Choose(AttentionPass pass, RuntimeOptions runtime, string? decodeAttention = null)
    {
        string name = decodeAttention ?? runtime.DecodeAttention ?? Bf16Decode;
        if (pass is { Queries: 1, Cached: true } && (runtime.DecodeKernels || name == Fp32Decode) && this[name] is var decode && decode.Supports(pass))
            return decode;
        return this[runtime.PrefillAttention];
    }
}
