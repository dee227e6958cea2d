using System.Diagnostics;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Generation;

/// <summary>What a pruning stage kept during prefill: per row, the image tokens (indices inside the image block) still present.</summary>
public sealed record StageKeep(int AfterLayer, long[][] KeptImageTokens);

/// <summary>
/// One batch being generated, driven from outside one step at a time: the prompt's prefill (vision
/// tower, projector, decoder with optional pruning) into a preallocated KV cache, then decode steps
/// on that cache. The session holds the cache, each row's next position and sampled token, the
/// sampler, and which rows have finished; each step runs in its own dispose scope, so memory stays
/// flat however long the answer. <see cref="LlavaGenerator"/> runs it to the end; a server can
/// interleave steps of several sessions.
/// </summary>
public sealed class GenerationSession : IDisposable
{
    private readonly LlavaForConditionalGeneration _model;
    private readonly LlavaBatch _batch;
    private readonly GenerationOptions _options;
    private readonly int _eosId;
    private readonly KvCache _cache;
    private readonly Sampler _sampler;
    private readonly List<int>[] _outputs;
    private readonly bool[] _finished;
    private Tensor? _next;      // [B] the token each row sampled last
    private Tensor? _positions; // [B, 1] the position the next token takes
    private IDisposable? _decodeThreads;
    private int _step;
    private bool _done;
    private readonly Stopwatch _decodeClock = new();

    public GenerationSession(LlavaForConditionalGeneration model, LlavaBatch batch, GenerationOptions options, int eosId)
    {
        options.Validate();
        _model = model;
        _batch = batch;
        _options = options;
        _eosId = eosId;
        var cfg = model.Config.TextConfig;
        Rows = (int)batch.Batch;
        _cache = new KvCache(cfg.NumHiddenLayers, Rows, cfg.KvHeads, (int)batch.Length + Math.Max(1, options.MaxNewTokens),
                             cfg.HeadDimension, model.DType, model.Device);
        _sampler = new Sampler(options);
        _outputs = Enumerable.Range(0, Rows).Select(_ => new List<int>()).ToArray();
        _finished = new bool[Rows];
    }

    public int Rows { get; }
    /// <summary>Generated tokens per row so far (EOS not included).</summary>
    public IReadOnlyList<IReadOnlyList<int>> Tokens => _outputs;
    /// <summary>Rows that produced EOS (with <see cref="GenerationOptions.StopAtEos"/>).</summary>
    public IReadOnlyList<bool> Finished => _finished;
    /// <summary>What each pruning stage kept during prefill, per row.</summary>
    public IReadOnlyList<StageKeep> Stages { get; private set; } = [];
    public double VisionSeconds { get; private set; }
    /// <summary>Time to first token: vision tower, projector, prefill and the first sample.</summary>
    public double PrefillSeconds { get; private set; }
    public double DecodeSeconds => _decodeClock.Elapsed.TotalSeconds;
    public int DecodedSteps { get; private set; }
    /// <summary>Whether every row has finished or the token budget is spent.</summary>
    public bool Done => _done;

    /// <summary>Runs the prompt through the model (pruned by <paramref name="selector"/> when given) and samples each row's first token.</summary>
    public void Prefill(ITokenSelector? selector = null)
    {
        if (_next is not null) throw new InvalidOperationException("the session is already prefilled");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sw = Stopwatch.StartNew();
        var features = _batch.PixelValues is null ? null : _model.ImageFeatures(_batch.PixelValues);
        VisionSeconds = sw.Elapsed.TotalSeconds;
        var embeds = _model.InputsEmbeds(_batch, features);
        var output = _model.Decoder.forward(new DecoderInput(embeds, _batch.TokenState(_model.Device), _cache, selector));
        var last = _model.language_model.Logits(output.Hidden.narrow(1, output.Hidden.shape[1] - 1, 1)); // [B, 1, V]
        _next = _sampler.Next(last.squeeze(1)).MoveToOuterDisposeScope();                                  // [B]
        _positions = _batch.NextPositions().to(_model.Device).MoveToOuterDisposeScope();                   // [B, 1]
        Stages = output.Stages.Select(s => new StageKeep(s.Layer, Enumerable.Range(0, Rows).Select(b =>
            s.Tokens.ImageIndex[b].data<long>().ToArray().Where(i => i >= 0).ToArray()).ToArray())).ToList();
        PrefillSeconds = sw.Elapsed.TotalSeconds;
        if (_options.MaxNewTokens == 0) Finish();
    }

    /// <summary>
    /// Takes each unfinished row's sampled token (a row ends at EOS), reporting it to <paramref name="onToken"/>
    /// (row, token); then, unless every row has finished or the budget is spent, runs one decode step and
    /// samples the next tokens. Returns whether more steps remain.
    /// </summary>
    public bool Step(Action<int, int>? onToken = null)
    {
        if (_next is null) throw new InvalidOperationException("prefill the session first");
        if (_done) return false;
        _decodeClock.Start();
        try
        {
            _decodeThreads ??= DecodeThreads.Enter(_model);
            long[] ids;
            using (NewDisposeScope()) ids = _next.cpu().data<long>().ToArray();
            for (int b = 0; b < Rows; b++)
            {
                if (_finished[b]) continue;
                if (_options.StopAtEos && ids[b] == _eosId) { _finished[b] = true; continue; }
                _outputs[b].Add((int)ids[b]);
                onToken?.Invoke(b, (int)ids[b]);
            }
            if (_finished.All(f => f) || _step == _options.MaxNewTokens - 1) { Finish(); return false; }
            _step++;
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var logits = _model.DecodeStep(_next.unsqueeze(1), _positions!, _cache); // [B, 1, V]
            DecodedSteps++;
            var next = _sampler.Next(logits.squeeze(1)).MoveToOuterDisposeScope();
            var advanced = _positions!.Plus(Scalars.One).MoveToOuterDisposeScope();
            _next.Dispose();
            _positions!.Dispose();
            (_next, _positions) = (next, advanced);
            return true;
        }
        finally { _decodeClock.Stop(); }
    }

    private void Finish()
    {
        _done = true;
        _decodeThreads?.Dispose();
        _decodeThreads = null;
    }

    public void Dispose()
    {
        Finish();
        _next?.Dispose();
        _positions?.Dispose();
        _sampler.Dispose();
        _cache.Dispose();
    }
}
