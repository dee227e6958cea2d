using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace LVPrune.Tests.Native;

/// <summary>
/// Counts the objects the finalizer thread finalizes, per type, from the runtime's own GC events
/// (FinalizeObject, which names the type by its method table). A TorchSharp Scalar, Generator or
/// Tensor that reaches the finalizer is one nobody disposed: its native memory is freed on the
/// finalizer thread while the main thread may be inside LibTorch (see LVPrune.NativeSafety).
/// Counts are process-wide: use it only in the serial collection.
/// </summary>
public sealed class FinalizerCensus : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const long GcKeyword = 0x1;
    private readonly ConcurrentDictionary<ulong, int> _counts = new();
    private volatile bool _enabled;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == RuntimeSource) EnableEvents(source, EventLevel.Verbose, (EventKeywords)GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName != "FinalizeObject" || e.Payload is not { Count: > 0 } payload) return;
        _enabled = true;
        ulong typeId = payload[0] switch { IntPtr p => (ulong)(long)p, UIntPtr u => (ulong)u, var v => Convert.ToUInt64(v) };
        _counts.AddOrUpdate(typeId, 1, (_, c) => c + 1);
    }

    /// <summary>Objects of <typeparamref name="T"/> finalized since the last <see cref="Settle"/>.</summary>
    public int Count<T>() => _counts.GetValueOrDefault((ulong)typeof(T).TypeHandle.Value);

    /// <summary>
    /// Runs every pending finalizer and waits until their events have arrived (a sentinel's event comes
    /// last), then forgets the counts when <paramref name="reset"/>.
    /// </summary>
    public void Settle(bool reset)
    {
        for (int round = 0; round < 3; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        int before = Count<Sentinel>();
        MakeSentinel();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Count<Sentinel>() == before)
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException(_enabled ? "the runtime's FinalizeObject events stopped arriving" : "the runtime sends no FinalizeObject events to in-process listeners");
            Thread.Sleep(20);
        }
        if (reset) _counts.Clear();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void MakeSentinel() => _ = new Sentinel();

    private sealed class Sentinel
    {
        ~Sentinel() { }
    }
}
