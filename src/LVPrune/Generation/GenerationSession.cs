using System.Diagnostics;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Generation;

/// <summary>What a pruning stage kept during prefill: per row, the image tokens (indices inside the image block) still present.</summary>
public sealed record StageKeep(int AfterLayer, long[][] KeptImageTokens);

/// <summary>Why a row stopped generating.</summary>
public enum RowEnd
{
    /// <summary>Still generating.</summary>
    None,
    /// <summary>It sampled EOS (with <see cref="GenerationOptions.StopAtEos"/>).</summary>
    EndOfSequence,
    /// <summary>It generated its <see cref="GenerationOptions.MaxNewTokens"/>.</summary>
    Length,
    /// <summary>The caller ended it (<see cref="GenerationSession.Stop"/>: a stop sequence, a cancelled request).</summary>
    Stopped,
}

/// <summary>
/// One batch being generated, driven from outside one step at a time: the prompt's prefill (vision
/// tower, projector, decoder with optional pruning) into a preallocated KV cache, then decode steps
/// on that cache. The session holds the cache and, per row, the next position, the sampled token
/// not yet taken, the tokens generated and whether the row has finished; each step runs in its own
/// dispose scope, so memory stays flat however long the answer. <see cref="LlavaGenerator"/> runs it
/// to the end. A server batches continuously with the same loop: rows may have their own options
/// and samplers (<see cref="GenerationSession(LlavaForConditionalGeneration, LlavaBatch, IReadOnlyList{GenerationOptions}, int)"/>),
/// the caller may end a row (<see cref="Stop"/>), and <see cref="Join"/> gathers rows of several
/// sessions (prefilled apart, with different lengths and pruning) into one that decodes them together,
/// each exactly as alone. A finished row rides along unsampled until the rows are gathered anew.
/// </summary>
public sealed class GenerationSession : IDisposable
{
    /// <summary>One row: its options and sampler, its tokens, the token sampled last and where the next one goes.</summary>
    private sealed class Row(GenerationOptions options, Sampler sampler, bool ownsSampler)
    {
        public GenerationOptions Options { get; } = options;
        public Sampler Sampler { get; } = sampler;
        public bool OwnsSampler { get; } = ownsSampler;
        public List<int> Output { get; } = new();
        public RowEnd End { get; set; }
        public long Next { get; set; }      // the token sampled last, not yet taken
        public long Position { get; set; }  // the RoPE position it takes when fed
    }

    private readonly LlavaForConditionalGeneration _model;
    private readonly LlavaBatch? _batch;
    private readonly int _eosId;
    private readonly KvCache _cache;
    private readonly Sampler? _shared;  // one sampler drawing for every row at once (LlavaGenerator's batches)
    private readonly Row[] _rows;
    private readonly bool[] _movedOut;  // rows another session took over (Join): their samplers are not ours to dispose
    private IDisposable? _decodeThreads;
    private bool _prefilled;
    private bool _done;
    private readonly Stopwatch _decodeClock = new();

    /// <summary>A session over <paramref name="batch"/> (read by <see cref="Prefill"/> only) with one set of options for every row (one sampler draws for the whole batch).</summary>
    public GenerationSession(LlavaForConditionalGeneration model, LlavaBatch batch, GenerationOptions options, int eosId)
        : this(model, batch, options, null, eosId) { }

    /// <summary>A session over <paramref name="batch"/> with each row's own options and sampler, so a sampled row
    /// draws what it draws alone in any batch (serving).</summary>
    public GenerationSession(LlavaForConditionalGeneration model, LlavaBatch batch, IReadOnlyList<GenerationOptions> rowOptions, int eosId)
        : this(model, batch, null, rowOptions, eosId) { }

    private GenerationSession(LlavaForConditionalGeneration model, LlavaBatch batch, GenerationOptions? options, IReadOnlyList<GenerationOptions>? rowOptions, int eosId)
    {
        int rows = (int)batch.Batch;
        if (rowOptions is not null && rowOptions.Count != rows)
            throw new ArgumentException($"{rowOptions.Count} row options for a batch of {rows}", nameof(rowOptions));
        var all = rowOptions ?? Enumerable.Repeat(options!, rows).ToList();
        foreach (var o in all) o.Validate();
        _model = model;
        _batch = batch;
        _eosId = eosId;
        _shared = options is null ? null : new Sampler(options);
        _rows = all.Select(o => _shared is null ? new Row(o, new Sampler(o), ownsSampler: true) : new Row(o, _shared, ownsSampler: false)).ToArray();
        _movedOut = new bool[rows];
        var cfg = model.Config.TextConfig;
        _cache = new KvCache(cfg.NumHiddenLayers, rows, cfg.KvHeads, (int)batch.Length + Math.Max(1, all.Max(o => o.MaxNewTokens)),
                             cfg.HeadDimension, model.ComputeDType, model.Device);
    }

    private GenerationSession(LlavaForConditionalGeneration model, int eosId, KvCache cache, Row[] rows)
    {
        _model = model;
        _eosId = eosId;
        _cache = cache;
        _rows = rows;
        _movedOut = new bool[rows.Length];
        _prefilled = true;
    }

    public int Rows => _rows.Length;
    /// <summary>Generated tokens per row so far (EOS not included).</summary>
    public IReadOnlyList<IReadOnlyList<int>> Tokens => _rows.Select(r => (IReadOnlyList<int>)r.Output).ToList();
    /// <summary>Rows that have finished (EOS with <see cref="GenerationOptions.StopAtEos"/>, their token budget, or <see cref="Stop"/>).</summary>
    public IReadOnlyList<bool> Finished => _rows.Select(r => r.End != RowEnd.None).ToList();
    /// <summary>Why each row finished (<see cref="RowEnd.None"/> while it generates).</summary>
    public IReadOnlyList<RowEnd> Ends => _rows.Select(r => r.End).ToList();
    /// <summary>What each pruning stage kept during prefill, per row (empty for a joined session).</summary>
    public IReadOnlyList<StageKeep> Stages { get; private set; } = [];
    public double VisionSeconds { get; private set; }
    /// <summary>Time to first token: vision tower, projector, prefill and the first sample.</summary>
    public double PrefillSeconds { get; private set; }
    public double DecodeSeconds => _decodeClock.Elapsed.TotalSeconds;
    public int DecodedSteps { get; private set; }
    /// <summary>Whether every row has finished.</summary>
    public bool Done => _done;

    /// <summary>Runs the prompt through the model (pruned by <paramref name="selector"/> when given) and samples each row's first token.</summary>
    public void Prefill(ITokenSelector? selector = null)
    {
        if (_prefilled || _batch is null) throw new InvalidOperationException("the session is already prefilled");
        _prefilled = true;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sw = Stopwatch.StartNew();
        var features = _batch.PixelValues is null ? null : _model.ImageFeatures(_batch.PixelValues);
        VisionSeconds = sw.Elapsed.TotalSeconds;
        var embeds = _model.InputsEmbeds(_batch, features);
        var output = _model.Decoder.forward(new DecoderInput(embeds, _batch.TokenState(_model.Device), _cache, selector));
        var last = _model.language_model.Logits(output.Hidden.narrow(1, output.Hidden.shape[1] - 1, 1)); // [B, 1, V]
        var next = Sample(last.squeeze(1));
        var positions = _batch.NextPositions().cpu().data<long>().ToArray();                                 // [B, 1]
        for (int b = 0; b < Rows; b++)
        {
            _rows[b].Next = next[b];
            _rows[b].Position = positions[b];
            if (_rows[b].Options.MaxNewTokens == 0) _rows[b].End = RowEnd.Length;
        }
        Stages = output.Stages.Select(s => new StageKeep(s.Layer, Enumerable.Range(0, Rows).Select(b =>
            s.Tokens.ImageIndex[b].cpu().data<long>().ToArray().Where(i => i >= 0).ToArray()).ToArray())).ToList();
        PrefillSeconds = sw.Elapsed.TotalSeconds;
        if (_rows.All(r => r.End != RowEnd.None)) Finish();
    }

    /// <summary>
    /// Takes each unfinished row's sampled token (a row ends at EOS or at its token budget), reporting it to
    /// <paramref name="onToken"/> (row, token; it may <see cref="Stop"/> rows); then, unless every row has
    /// finished, runs one decode step for all rows and samples the next tokens of the unfinished ones.
    /// Returns whether more steps remain.
    /// </summary>
    public bool Step(Action<int, int>? onToken = null)
    {
        if (!_prefilled) throw new InvalidOperationException("prefill the session first");
        if (_done) return false;
        _decodeClock.Start();
        try
        {
            for (int b = 0; b < Rows; b++)
            {
                var row = _rows[b];
                if (row.End != RowEnd.None) continue;
                if (row.Options.StopAtEos && row.Next == _eosId) { row.End = RowEnd.EndOfSequence; continue; }
                row.Output.Add((int)row.Next);
                if (row.Output.Count >= row.Options.MaxNewTokens) row.End = RowEnd.Length;
                onToken?.Invoke(b, (int)row.Next);
            }
            if (_rows.All(r => r.End != RowEnd.None)) { Finish(); return false; }
            _decodeThreads ??= DecodeThreads.Enter(_model);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var ids = tensor(_rows.Select(r => r.Next).ToArray(), [Rows, 1]);                                    // [B, 1]
            var positions = tensor(_rows.Select(r => r.Position).ToArray(), [Rows, 1]);                         // [B, 1]
            var logits = _model.DecodeStep(ids, positions, _cache);                                              // [B, 1, V]
            DecodedSteps++;
            var next = Sample(logits.squeeze(1));
            for (int b = 0; b < Rows; b++)
            {
                var row = _rows[b];
                // A finished row rides along, its output never read: with its own sampler it is fed its last token
                // at its last position again (its position never passes its budget); the batch-wide sampler draws for it as before.
                if (row.End != RowEnd.None && _shared is null) continue;
                row.Next = next[b];
                row.Position++;
            }
            return true;
        }
        finally { _decodeClock.Stop(); }
    }

    /// <summary>Ends row <paramref name="row"/> (it rides along unsampled until the rows are gathered anew).</summary>
    public void Stop(int row)
    {
        if (_rows[row].End == RowEnd.None) _rows[row].End = RowEnd.Stopped;
        if (_rows.All(r => r.End != RowEnd.None)) Finish();
    }

    /// <summary>
    /// Releases LibTorch's decode-time thread setting (see <see cref="DecodeThreads"/>) until the next step:
    /// call it before running other work between steps, such as another session's prefill.
    /// </summary>
    public void Pause()
    {
        _decodeThreads?.Dispose();
        _decodeThreads = null;
    }

    /// <summary>
    /// A session decoding the given rows of prefilled sessions together (continuous batching): its cache holds
    /// each row's cached keys and values right-aligned (<see cref="KvCache.Gather"/>), each row keeps its
    /// position, pending token, tokens so far, options and sampler, so it decodes exactly as it would alone.
    /// The rows move to the new session (their sources must have their own samplers); the sources keep their
    /// caches and are disposed by the caller.
    /// </summary>
    public static GenerationSession Join(IReadOnlyList<(GenerationSession Source, int Row)> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to join", nameof(rows));
        var first = rows[0].Source;
        foreach (var (source, row) in rows)
        {
            if (!source._prefilled) throw new InvalidOperationException("join prefilled sessions only");
            if (source._shared is not null) throw new InvalidOperationException("rows sampled by a batch-wide sampler cannot join another batch");
            if (source._movedOut[row]) throw new InvalidOperationException($"row {row} already joined another session");
            if (source._model != first._model || source._eosId != first._eosId) throw new ArgumentException("rows of different models", nameof(rows));
        }
        // Room for every row's remaining decode steps; a finished row riding along needs none.
        int room = Math.Max(1, rows.Max(r => r.Source._rows[r.Row].Options.MaxNewTokens - r.Source._rows[r.Row].Output.Count));
        var cache = KvCache.Gather(rows.Select(r => (r.Source._cache, r.Row)).ToList(), room);
        foreach (var (source, row) in rows) source._movedOut[row] = true;
        var session = new GenerationSession(first._model, first._eosId, cache, rows.Select(r => r.Source._rows[r.Row]).ToArray());
        if (session._rows.All(r => r.End != RowEnd.None)) session.Finish();
        return session;
    }

    /// <summary>Next ids from fp32 logits [B, V]: the shared sampler over the batch, or one argmax for greedy rows and
    /// each unfinished sampled row through its own sampler.</summary>
    private long[] Sample(Tensor logits)
    {
        if (_shared is not null) return _shared.Next(logits).cpu().data<long>().ToArray();                         // [B]
        var ids = logits.argmax(-1).cpu().data<long>().ToArray();                                                   // [B]
        for (int b = 0; b < Rows; b++)
            if (_rows[b].Options.Temperature > 0 && _rows[b].End == RowEnd.None)
                ids[b] = _rows[b].Sampler.Next(logits.narrow(0, b, 1)).cpu().data<long>()[0];
        return ids;
    }

    private void Finish()
    {
        _done = true;
        Pause();
    }

    public void Dispose()
    {
        Finish();
        _shared?.Dispose();
        for (int b = 0; b < Rows; b++)
            if (_rows[b].OwnsSampler && !_movedOut[b]) _rows[b].Sampler.Dispose();
        _cache.Dispose();
    }
}
