namespace LVPrune.Distributed;

/// <summary>
/// The processes of one job (MPI's COMM_WORLD) and the few collective operations data-parallel
/// training and sharded evaluation need. Every process calls the same collectives in the same order
/// (MPI's rule). A process that fails calls <see cref="Abort"/>, which ends every process of the job:
/// a peer is never left waiting in a collective.
/// </summary>
public interface IProcessGroup
{
    /// <summary>This process's index, 0 to <see cref="Size"/> - 1.</summary>
    int Rank { get; }

    /// <summary>Number of processes.</summary>
    int Size { get; }

    /// <summary>Rank 0: the one that logs, shows progress and writes files.</summary>
    bool IsRoot => Rank == 0;

    /// <summary>"rank 1 of 2 (pid 4242 on node7)", for messages that must name the process.</summary>
    string Name { get; }

    /// <summary>The MPI library in use ("Open MPI v4.1.4, ..."), or "single process".</summary>
    string Library { get; }

    /// <summary>Waits until every process has arrived.</summary>
    void Barrier();

    /// <summary>Root's bytes into every process's <paramref name="data"/> (same length everywhere).</summary>
    void Broadcast(Span<byte> data, int root = 0);

    /// <summary>Element-wise sum over all processes, in place (same length everywhere).</summary>
    void AllReduceSum(Span<float> data);

    /// <summary>Element-wise sum over all processes, in place (same length everywhere).</summary>
    void AllReduceSum(Span<double> data);

    /// <summary>Each process's (small) message, in rank order, on <paramref name="root"/>; null elsewhere.
    /// Lengths may differ between processes.</summary>
    byte[][]? Gather(ReadOnlySpan<byte> message, int root = 0);

    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (MPI_Abort). Does not return.</summary>
    void Abort(int exitCode);
}
