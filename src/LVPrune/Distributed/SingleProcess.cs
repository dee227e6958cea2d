namespace LVPrune.Distributed;

/// <summary>A job of one process, with no MPI library: every collective is the identity.</summary>
public sealed class SingleProcess : IProcessGroup
{
    public static SingleProcess Instance { get; } = new();

    private SingleProcess() { }

    public int Rank => 0;
    public int Size => 1;
    public string Name => $"rank 0 of 1 (pid {Environment.ProcessId} on {Environment.MachineName})";
    public string Library => "single process";
    public void Barrier() { }
    public void Broadcast(Span<byte> data, int root = 0) => CheckRoot(root);
    public void AllReduceSum(Span<float> data) { }
    public void AllReduceSum(Span<double> data) { }

    public byte[][]? Gather(ReadOnlySpan<byte> message, int root = 0)
    {
        CheckRoot(root);
        return [message.ToArray()];
    }

    public void Abort(int exitCode) => Environment.Exit(exitCode);

    private static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), root, "a single process has only rank 0");
    }
}
