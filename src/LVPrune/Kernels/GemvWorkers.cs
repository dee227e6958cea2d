using System.Diagnostics;

namespace LVPrune.Kernels;

/// <summary>
/// Fork-join for <see cref="Bf16Gemv"/>: dedicated threads, one per core beyond the caller's, that
/// keep spinning for a few milliseconds after each product before they sleep. A decode step runs
/// hundreds of products a few hundred microseconds apart, with small LibTorch ops in between;
/// .NET's thread pool parks its workers in those gaps, and waking them costs a visible share of a
/// product that itself lasts one to four milliseconds. Here the helpers are already running when
/// the next product starts. Work items are claimed from a per-job counter, so a helper that wakes
/// late cannot run an item of a newer job with an older job's body.
/// </summary>
public static class GemvWorkers
{
    /// <summary>How long an idle helper keeps spinning before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency * 5 / 1000;

    private sealed class Job(Action<int> body, int count)
    {
        public readonly Action<int> Body = body;
        public readonly int Count = count;
        public int Next;
        public int Done;
        public Exception? Error;
    }

    private static readonly object Gate = new();
    private static readonly ManualResetEventSlim Wake = new(false);
    private static Job? _current;
    private static int _sleeping;
    private static bool _started;

    /// <summary>Helper threads (cores beyond the caller's).</summary>
    public static int Helpers { get; } = Math.Max(0, Environment.ProcessorCount - 1);

    /// <summary>Runs <paramref name="body"/>(0 .. count-1) on the caller and the helpers; returns when all are done.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 1 || Helpers == 0)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        // One job at a time; a second caller (another model decoding concurrently) waits its turn.
        lock (Gate)
        {
            if (!_started) Start();
            var job = new Job(body, count);
            Volatile.Write(ref _current, job);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _sleeping) > 0) Wake.Set();
            RunItems(job);
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Done) < count) spin.SpinOnce(sleep1Threshold: -1);
            if (job.Error is { } error) throw new AggregateException(error);
        }
    }

    private static void Start()
    {
        for (int i = 0; i < Helpers; i++)
            new Thread(HelperLoop) { IsBackground = true, Name = $"lvprune-gemv-{i}" }.Start();
        _started = true;
    }

    private static void RunItems(Job job)
    {
        int i;
        while ((i = Interlocked.Increment(ref job.Next) - 1) < job.Count)
        {
            try { job.Body(i); }
            catch (Exception e) { Interlocked.CompareExchange(ref job.Error, e, null); }
            finally { Interlocked.Increment(ref job.Done); }
        }
    }

    private static void HelperLoop()
    {
        Job? seen = null;
        long idleSince = Stopwatch.GetTimestamp();
        while (true)
        {
            var job = Volatile.Read(ref _current);
            if (job != seen && job is not null)
            {
                seen = job;
                RunItems(job);
                idleSince = Stopwatch.GetTimestamp();
                continue;
            }
            if (Stopwatch.GetTimestamp() - idleSince < SpinTicks)
            {
                Thread.SpinWait(32);
                continue;
            }
            // Sleep until the next job. Reset, announce, then look again: a job published after the
            // look sees the announcement (both sides pass a full fence) and sets the event.
            Wake.Reset();
            Interlocked.Increment(ref _sleeping);
            if (Volatile.Read(ref _current) == seen) Wake.Wait();
            Interlocked.Decrement(ref _sleeping);
            idleSince = Stopwatch.GetTimestamp();
        }
    }
}
