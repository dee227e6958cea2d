using System.Diagnostics;
using System.Threading.Channels;
using LVPrune.Flops;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;
using TorchSharp;

namespace LVPrune.Serving;

/// <summary>
/// Serves chat requests on one model: conversations are checked and prepared on the caller's thread
/// (<see cref="Prepare"/>: prompt, tokens, image preprocessing, pruning), then queued (bounded:
/// <see cref="ChatEngineOptions.MaxQueue"/>) for the one worker thread that runs the model (TorchSharp's
/// dispose scopes are thread-local). The worker admits waiting requests up to
/// <see cref="ChatEngineOptions.MaxBatch"/> rows, prefills those with the same pruning together, adds them to
/// the rows already decoding (continuous batching, exact: <see cref="GenerationSession.Join"/>), decodes all rows
/// one token per step (<see cref="GenerationSession.Step"/>, the loop `generate` runs too), and lets finished or
/// cancelled rows leave. Each request's events stream back through
/// its <see cref="ChatStream"/>. One failing request fails alone; the worker goes on.
/// </summary>
public sealed class ChatEngine : IDisposable
{
    private readonly LlavaPipeline _pipeline;
    private readonly bool _ownsPipeline;
    private readonly LVPruningAdapter? _adapter;
    private readonly Channel<Pending> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _worker;
    private readonly object _admission = new();
    private readonly int _padId;
    private readonly int _eosId;
    private long _cancelled;
    private int _activeRows;

    public ChatEngine(LlavaPipeline pipeline, ChatEngineOptions options, bool ownsPipeline = false)
    {
        options.Validate();
        _pipeline = pipeline;
        _ownsPipeline = ownsPipeline;
        Options = options;
        string? adapterPath = options.AdapterPath ?? options.DefaultPruning.AdapterPath;
        _adapter = adapterPath is null ? null : LVPruningAdapter.Load(adapterPath, pipeline.Model);
        // Fail at start, not on the first request, when the default pruning cannot be built.
        ResolvedPruning.Resolve(null, options.DefaultPruning, _adapter, pipeline.Model);
        var config = pipeline.Model.Config;
        _padId = config.PadTokenId ?? pipeline.Tokenizer.PadId ?? pipeline.Tokenizer.EosId;
        _eosId = pipeline.Tokenizer.EosId;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.MaxQueue)
        {
            FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = false,
        });
        _worker = new Thread(Run) { IsBackground = true, Name = "lvprune-engine" };
        _worker.Start();
    }

    public ChatEngineOptions Options { get; }
    public LlavaPipeline Pipeline => _pipeline;
    public bool HasAdapter => _adapter is not null;
    /// <summary>Requests waiting for a batch slot.</summary>
    public int QueueLength => _queue.Reader.Count;
    /// <summary>Requests cancelled so far (a client went away, or its token fired), queued or decoding.</summary>
    public long CancelledCount => Interlocked.Read(ref _cancelled);
    /// <summary>Requests admitted and not yet finished (prefilling or decoding).</summary>
    public int ActiveRows => Volatile.Read(ref _activeRows);

    /// <summary>Decodes an image a request carries, within the engine's limits; <paramref name="source"/> names it in errors.</summary>
    public RgbImage DecodeImage(byte[] bytes, string source)
    {
        if (bytes.Length > Options.MaxImageBytes)
            throw new RequestException($"{source}: the image has {bytes.Length} bytes, over the limit of {Options.MaxImageBytes}", source, "image_too_large");
        try
        {
            return ImageIO.Decode(bytes, source, Options.MaxImagePixels);
        }
        catch (LVPruneException e)
        {
            throw new RequestException(e.Message, source, "invalid_image");
        }
    }

    /// <summary>Checks a conversation and its settings and prepares them for the model. Throws <see cref="RequestException"/>.</summary>
    public ChatRequest Prepare(IReadOnlyList<ChatTurn> turns, ChatSettings settings)
    {
        var model = _pipeline.Model;
        var config = model.Config;
        var (prompt, image) = ChatPrompt.Build(turns, _pipeline.Template, _pipeline.ImagePosition);
        var ids = _pipeline.Tokenizer.Encode(prompt).Select(t => (long)t).ToArray();
        int promptTokens = ids.Length - 1 + config.ImageTokens;
        int context = config.TextConfig.MaxPositionEmbeddings;
        if (promptTokens >= context)
            throw new RequestException($"the prompt has {promptTokens} tokens (with {config.ImageTokens} for the image); the model's context is {context}",
                                       "messages", "context_length_exceeded");
        int maxTokens = settings.MaxTokens ?? Math.Min(Options.DefaultMaxTokens, context - promptTokens);
        if (maxTokens < 1) throw new RequestException($"max_tokens must be >= 1, got {maxTokens}", "max_tokens", "invalid_value");
        if (promptTokens + maxTokens > context)
            throw new RequestException($"max_tokens {maxTokens} + {promptTokens} prompt tokens exceed the model's context of {context}; ask for at most {context - promptTokens}",
                                       "max_tokens", "context_length_exceeded");
        double temperature = settings.Temperature ?? 0;
        if (!(temperature >= 0 && temperature <= 2))
            throw new RequestException($"temperature must be in [0, 2], got {temperature}", "temperature", "invalid_value");
        double topP = settings.TopP ?? 1;
        if (!(topP > 0 && topP <= 1)) throw new RequestException($"top_p must be in (0, 1], got {topP}", "top_p", "invalid_value");
        var stop = settings.Stop ?? [];
        if (stop.Count > 4) throw new RequestException($"stop takes at most 4 sequences, got {stop.Count}", "stop", "invalid_value");
        if (stop.Any(string.IsNullOrEmpty)) throw new RequestException("stop sequences must not be empty", "stop", "invalid_value");

        var pruning = ResolvedPruning.Resolve(settings.Pruning, Options.DefaultPruning, _adapter, model);
        var prepared = ClipPreprocessor.PrepareImage(image, _pipeline.ImageConfig, _pipeline.ImageMode);
        var pixels = new float[3 * prepared.Width * prepared.Height];
        ClipPreprocessor.Normalize(prepared, _pipeline.ImageConfig, pixels);
        var options = new GenerationOptions
        {
            MaxNewTokens = maxTokens, Temperature = temperature, TopP = topP, Seed = settings.Seed ?? 0, StopAtEos = !settings.IgnoreEos,
        };
        return new ChatRequest(prompt, ids, pixels, options, stop.ToArray(), pruning, promptTokens);
    }

    /// <summary>
    /// Queues a prepared request. Throws <see cref="RequestException"/> (429) when the queue is full.
    /// <paramref name="cancellation"/> cancels it, queued or decoding: its row leaves the batch at the next step.
    /// </summary>
    public ChatStream Submit(ChatRequest request, CancellationToken cancellation = default) => SubmitAll([request], cancellation)[0];

    /// <summary>Queues several requests at once: the worker sees them together (none is admitted before the
    /// others are queued), so those with equal pruning share a prefill as far as <see cref="ChatEngineOptions.MaxBatch"/>
    /// allows. All or none are queued (429 when they do not fit).</summary>
    public IReadOnlyList<ChatStream> SubmitAll(IReadOnlyList<ChatRequest> requests, CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        var pending = requests.Select(r => new Pending(r, Stopwatch.GetTimestamp())).ToList();
        lock (_admission)
        {
            if (_queue.Reader.Count + pending.Count > Options.MaxQueue) throw RequestException.QueueFull(Options.MaxQueue);
            foreach (var p in pending)
            {
                if (cancellation.CanBeCanceled) p.Registration = cancellation.Register(() => p.Cancelled = true);
                if (!_queue.Writer.TryWrite(p)) throw new InvalidOperationException("the queue refused a request it had room for");
            }
        }
        Options.Observer?.QueueLength(_queue.Reader.Count);
        return pending.Select(p => new ChatStream(p.Events.Reader, p.Request)).ToList();
    }

    // ---- the worker thread ----

    /// <summary>A request in the engine: queued, then a row of the running batch.</summary>
    private sealed class Pending(ChatRequest request, long queuedAt)
    {
        public ChatRequest Request { get; } = request;
        public long QueuedAt { get; } = queuedAt;
        public Channel<ChatEvent> Events { get; } = Channel.CreateUnbounded<ChatEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public volatile bool Cancelled;
        public CancellationTokenRegistration Registration;
        public AnswerText? Text;
        public ChatStats? Stats;
        public long FirstTokenAt;
        public int Completion;
        public bool Done;
        public bool Admitted;
    }

    private void Run()
    {
        var running = new List<Pending>();
        GenerationSession? batch = null;
        try
        {
            while (true)
            {
                try
                {
                    if (!Iterate(ref batch, running)) break;
                }
                catch (Exception e) when (e is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    // A fault outside one request's prefill or step (realigning the cache): fail the rows it
                    // touched, start over with an empty batch, and keep serving.
                    foreach (var p in running) Fail(p, e);
                    running.Clear();
                    batch?.Dispose();
                    batch = null;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
        finally
        {
            batch?.Dispose();
            var shutdown = new ObjectDisposedException(nameof(ChatEngine), "the engine is shutting down");
            foreach (var p in running) Fail(p, shutdown);
            while (_queue.Reader.TryRead(out var p)) Fail(p, shutdown);
        }
    }

    /// <summary>One round of the worker: rows leave, rows join, one decode step. False when the engine stops.</summary>
    private bool Iterate(ref GenerationSession? batch, List<Pending> running)
    {
        // Finished and cancelled rows leave. Rebuilding the cache costs about a third of a decode step, so a
        // finished row rides along unsampled until new rows join (the join rebuilds the cache anyway) or
        // until half the rows are finished.
        foreach (var p in running.Where(p => !p.Done && p.Cancelled)) Cancel(p);
        StopDoneRows(batch, running);
        int finished = running.Count(p => p.Done);
        if (finished > 0 && 2 * finished >= running.Count)
        {
            var old = batch!;
            var keep = running.Select((p, i) => (p, i)).Where(x => !x.p.Done).ToList();
            batch = keep.Count == 0 ? null : GenerationSession.Join([.. keep.Select(x => (old, x.i))]);
            old.Dispose();
            running.Clear();
            running.AddRange(keep.Select(x => x.p));
        }
        int alive = running.Count(p => !p.Done);

        // Admit waiting requests into free rows (under the lock that SubmitAll queues under).
        var admitted = new List<Pending>();
        lock (_admission)
        {
            while (alive + admitted.Count < Options.MaxBatch && _queue.Reader.TryRead(out var next))
            {
                if (next.Cancelled) Cancel(next);
                else
                {
                    next.Admitted = true;
                    Interlocked.Increment(ref _activeRows);
                    admitted.Add(next);
                }
            }
        }
        Options.Observer?.QueueLength(_queue.Reader.Count);
        if (alive == 0 && admitted.Count == 0)
            return _queue.Reader.WaitToReadAsync(_stopping.Token).AsTask().GetAwaiter().GetResult();

        try
        {
            JoinAndDecode(admitted, ref batch, running);
        }
        catch (Exception e)
        {
            foreach (var p in admitted) Fail(p, e);
            throw;
        }
        return true;
    }

    /// <summary>Prefills each group of equal pruning among <paramref name="admitted"/> together, adds the rows to
    /// the running batch, and runs one decode step.</summary>
    private void JoinAndDecode(List<Pending> admitted, ref GenerationSession? batch, List<Pending> running)
    {
        if (admitted.Count > 0) batch?.Pause(); // the prefill runs with LibTorch's usual threads
        foreach (var group in admitted.GroupBy(p => p.Request.Pruning.GroupKey))
        {
            var rows = group.ToList();
            var prefilled = Prefill(rows);
            if (prefilled is null) continue;
            var joining = rows.Where(p => !p.Done).ToList();
            var current = batch;
            // Finished rows still riding along are dropped here, with the rebuild the join needs anyway.
            var staying = running.Select((p, i) => (p, i)).Where(x => !x.p.Done).ToList();
            var sources = staying.Select(x => (current!, x.i)).Concat(joining.Select(p => (prefilled, rows.IndexOf(p)))).ToList();
            try
            {
                batch = sources.Count == 0 ? null : GenerationSession.Join(sources);
            }
            catch
            {
                foreach (var p in joining) Fail(p, new InvalidOperationException("the new rows could not join the batch"));
                throw;
            }
            finally
            {
                prefilled.Dispose();
            }
            current?.Dispose();
            running.Clear();
            running.AddRange(staying.Select(x => x.p).Concat(joining));
        }
        if (running.Any(p => !p.Done)) Decode(batch!, running);
    }

    /// <summary>Prefills one group; returns its session (each row's first token sampled, not yet taken), or null when it failed.</summary>
    private GenerationSession? Prefill(List<Pending> rows)
    {
        long start = Stopwatch.GetTimestamp();
        GenerationSession? session = null;
        try
        {
            foreach (var p in rows) p.Text = new AnswerText(_pipeline.Tokenizer, p.Request.Stop);
            var model = _pipeline.Model;
            var config = model.Config;
            using var selector = ResolvedPruning.ForGroup(rows.Select(p => p.Request.Pruning).ToList(), model, _adapter);
            using (torch.NewDisposeScope())
            using (var batch = ChatRequest.Batch(rows.Select(p => p.Request).ToList(), model.Config, _padId))
            {
                session = new GenerationSession(model, batch, rows.Select(p => p.Request.Options).ToList(), _eosId);
                session.Prefill(selector);
            }
            long end = Stopwatch.GetTimestamp();
            Options.Observer?.PrefillBatch(rows.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                var p = rows[i];
                var stages = session.Stages.Select(s => new StageKept(s.AfterLayer, s.KeptImageTokens[i].Select(t => (int)t).ToArray())).ToList();
                var pruning = p.Request.Pruning;
                p.FirstTokenAt = end;
                p.Stats = new ChatStats
                {
                    Method = pruning.MethodName, Rho = pruning.Rho, Keep = pruning.Keep, Stages = stages,
                    ImageTokens = config.ImageTokens, Grid = config.VisionConfig.GridSize, PromptTokens = p.Request.PromptTokens,
                    PrefillTflops = FlopsModel.PrefillTflops(config, p.Request.PromptIds.Length - 1, stages.Select(s => (s.AfterLayer, s.KeptImageTokens.Length)).ToList(),
                                                             decisionModules: pruning.Method == PruningMethod.LVPruning),
                    PrefillBatch = rows.Count,
                    QueueSeconds = Stopwatch.GetElapsedTime(p.QueuedAt, start).TotalSeconds,
                    TtftSeconds = Stopwatch.GetElapsedTime(p.QueuedAt, end).TotalSeconds,
                    PrefillSeconds = Stopwatch.GetElapsedTime(start, end).TotalSeconds,
                };
                Options.Observer?.FirstToken(p.Stats.TtftSeconds, pruning.MethodName, stages, config.ImageTokens);
                p.Events.Writer.TryWrite(new ChatStarted(p.Stats));
            }
            return session;
        }
        catch (Exception e)
        {
            session?.Dispose();
            foreach (var p in rows) Fail(p, e);
            return null;
        }
    }

    /// <summary>One step of the running batch: each row's pending token is taken (streamed, checked against its stop
    /// sequences), then the rows decode their next. Rows the session ended (EOS, their token budget) finish here.</summary>
    private void Decode(GenerationSession batch, List<Pending> running)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            Options.Observer?.DecodeBatch(running.Count(p => !p.Done));
            bool stepped = batch.Step((b, token) =>
            {
                Accept(running[b], token);
                if (running[b].Done) batch.Stop(b);
            });
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var ends = batch.Ends;
            for (int b = 0; b < running.Count; b++)
            {
                var p = running[b];
                if (p.Done) continue;
                if (ends[b] == RowEnd.EndOfSequence) Finish(p, "stop");
                else if (ends[b] == RowEnd.Length) Finish(p, "length");
                else if (stepped) Options.Observer?.Token(seconds);
            }
        }
        catch (Exception e)
        {
            foreach (var p in running.Where(p => !p.Done)) Fail(p, e);
        }
    }

    /// <summary>Rows whose requests ended outside a step (cancelled, failed) stop in the session: they ride along unsampled.</summary>
    private static void StopDoneRows(GenerationSession? batch, List<Pending> running)
    {
        if (batch is null) return;
        for (int b = 0; b < running.Count; b++)
            if (running[b].Done && !batch.Finished[b]) batch.Stop(b);
    }

    /// <summary>Takes a row's token (the session ends rows at EOS and at their budget): its text, up to a stop sequence.</summary>
    private void Accept(Pending p, int token)
    {
        if (p.Done) return;
        p.Completion++;
        string text = p.Text!.Push(token);
        if (text.Length > 0) p.Events.Writer.TryWrite(new ChatDelta(text));
        if (p.Text.Stopped) Finish(p, "stop");
    }

    private void Finish(Pending p, string reason)
    {
        string rest = p.Text!.Flush();
        if (rest.Length > 0) p.Events.Writer.TryWrite(new ChatDelta(rest));
        var stats = p.Stats! with
        {
            CompletionTokens = p.Completion, FinishReason = reason,
            DecodeSeconds = Stopwatch.GetElapsedTime(p.FirstTokenAt).TotalSeconds,
        };
        p.Events.Writer.TryWrite(new ChatFinished(stats));
        Close(p, "ok", null);
    }

    private void Cancel(Pending p)
    {
        Interlocked.Increment(ref _cancelled);
        Close(p, "cancelled", new OperationCanceledException("the request was cancelled"));
    }

    private void Fail(Pending p, Exception e)
    {
        if (p.Done) return;
        if (e is not (RequestException or ObjectDisposedException)) e = new InvalidOperationException($"internal error while generating: {e.GetType().Name}: {e.Message}", e);
        Close(p, "error", e);
    }

    /// <summary>Ends a request: its row and selector are released and counted out, then its stream completes
    /// (so whoever sees the end also sees the counts).</summary>
    private void Close(Pending p, string outcome, Exception? error)
    {
        p.Done = true;
        if (p.Admitted) Interlocked.Decrement(ref _activeRows);
        p.Registration.Dispose();
        Options.Observer?.Finished(outcome, p.Request.PromptTokens, p.Completion);
        p.Events.Writer.TryComplete(error);
    }

    public void Dispose()
    {
        if (_stopping.IsCancellationRequested) return;
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        _worker.Join();
        _adapter?.Dispose();
        if (_ownsPipeline) _pipeline.Dispose();
        _stopping.Dispose();
    }
}
