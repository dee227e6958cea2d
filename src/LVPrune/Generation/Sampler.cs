using static TorchSharp.torch;

namespace LVPrune.Generation;

/// <summary>Picks the next token from fp32 logits [B, V]: argmax, or temperature + top-p sampling
/// (transformers' order: temperature, then nucleus filtering, then a multinomial draw).</summary>
public sealed class Sampler : IDisposable
{
    private readonly GenerationOptions _o;
    private readonly TorchSharp.torch.Generator? _generator;

    public Sampler(GenerationOptions options)
    {
        _o = options;
        if (options.Temperature > 0) _generator = new TorchSharp.torch.Generator((ulong)options.Seed);
    }

    public Tensor Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (_o.Temperature == 0) return logits.argmax(-1).MoveToOuterDisposeScope(); // [B]
        var scaled = logits / _o.Temperature;
        if (_o.TopP < 1.0)
        {
            var (sorted, order) = scaled.sort(-1, descending: false);               // ascending, as transformers' TopPLogitsWarper
            var cumulative = sorted.softmax(-1).cumsum(-1);
            var remove = cumulative.le(1 - _o.TopP);
            remove[.., ^1] = tensor(false);                                         // always keep the most likely token
            var removeOriginal = remove.scatter(-1, order, remove);
            scaled = scaled.masked_fill(removeOriginal, double.NegativeInfinity);
        }
        var probs = scaled.softmax(-1);
        return multinomial(probs, 1, generator: _generator).squeeze(-1).MoveToOuterDisposeScope(); // [B]
    }

    public void Dispose() => _generator?.Dispose();
}
