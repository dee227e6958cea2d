namespace LVPrune.Serving;

/// <summary>
/// What the engine reports as it works, for metrics (the server exports them to Prometheus). Called from the
/// engine's worker thread and from submitting threads: implementations must be thread-safe and quick.
/// </summary>
public interface IServingObserver
{
    /// <summary>Requests waiting for a batch slot.</summary>
    void QueueLength(int waiting);
    /// <summary>Requests prefilled together.</summary>
    void PrefillBatch(int size);
    /// <summary>Rows in a decode step.</summary>
    void DecodeBatch(int size);
    /// <summary>A request's first token: its time from queueing and what each stage kept.</summary>
    void FirstToken(double ttftSeconds, string method, IReadOnlyList<StageKept> stages, int imageTokens);
    /// <summary>A generated token after the first, with the time its decode step took.</summary>
    void Token(double seconds);
    /// <summary>A request ended: "ok", "cancelled" or "error".</summary>
    void Finished(string outcome, int promptTokens, int completionTokens);
}
