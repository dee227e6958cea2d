using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Generation;

/// <summary>Picks the next token from fp32 logits [B, V]: argmax, or temperature + top-p sampling
/// (transformers' order: temperature, then nucleus filtering, then a multinomial draw). Owns its
/// generator and Scalars: dispose it.</summary>
public sealed class Sampler : IDisposable
{
    private readonly GenerationOptions _o;
    private readonly TorchSharp.torch.Generator? _generator;
    private readonly Scalar? _temperature;
    private readonly Scalar? _dropBelow; // 1 - top_p

    public Sampler(GenerationOptions options)
    {
        _o = options;
        if (options.Temperature > 0)
        {
            _generator = new TorchSharp.torch.Generator((ulong)options.Seed);
            _temperature = options.Temperature.ToScalar();
        }
        if (options.TopP < 1.0) _dropBelow = (1 - options.TopP).ToScalar();
    }

    /// <summary>The next token of each row [B].</summary>
    public Tensor Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (_o.Temperature == 0) return logits.argmax(-1).MoveToOuterDisposeScope(); // [B]
        return multinomial(Distribution(logits), 1, generator: _generator).squeeze(-1).MoveToOuterDisposeScope(); // [B]
    }

    /// <summary>
    /// The distribution a sampled token is drawn from [B, V]: softmax(logits / T) over the nucleus, the
    /// smallest set of most likely tokens whose probability reaches top_p (the most likely token always
    /// stays); zero elsewhere.
    /// </summary>
    public Tensor Distribution(Tensor logits)
    {
        if (_temperature is null) throw new InvalidOperationException("greedy decoding (temperature 0) samples nothing");
        using var scope = NewDisposeScope();
        var scaled = logits / _temperature;
        if (_dropBelow is not null)
        {
            var (sorted, order) = scaled.sort(-1, descending: false);               // ascending, as transformers' TopPLogitsWarper
            var cumulative = sorted.softmax(-1).cumsum(-1);
            var remove = cumulative.le(_dropBelow);
            remove[.., ^1] = tensor(false);                                         // always keep the most likely token
            var removeOriginal = remove.scatter(-1, order, remove);
            scaled = scaled.masked_fill(removeOriginal, Scalars.NegativeInfinity);
        }
        return scaled.softmax(-1).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _generator?.Dispose();
        _temperature?.Dispose();
        _dropBelow?.Dispose();
    }
}
