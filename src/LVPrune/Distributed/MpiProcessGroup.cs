using System.Runtime.InteropServices;
using System.Text;

namespace LVPrune.Distributed;

/// <summary>
/// <see cref="IProcessGroup"/> over MPI's C API, called through function pointers resolved from the
/// library at run time, so one build serves both ABI families: <typeparamref name="THandle"/> is
/// <c>nint</c> for Open MPI (handles are addresses of exported globals) and <c>int</c> for MPICH's ABI
/// (handles are constants of mpi.h). Errors return (MPI_ERRORS_RETURN) and become exceptions naming the
/// call and this rank; the caller then aborts the job (<see cref="ProcessGroup.RunOrAbort"/>).
/// Calls come from one thread (MPI_THREAD_FUNNELED).
/// </summary>
internal sealed unsafe class MpiProcessGroup<THandle> : IProcessGroup where THandle : unmanaged
{
    /// <summary>The predefined handles and MPI_IN_PLACE of one ABI family.</summary>
    internal readonly record struct Handles(THandle CommWorld, THandle Byte, THandle Int, THandle Float, THandle Double, THandle Sum,
                                            THandle ErrorsReturn, nint InPlace);

    /// <summary>Largest element count per call: MPI counts are C ints, so longer buffers go in chunks.</summary>
    private const int MaxCount = 1 << 30;
    private const int ThreadFunneled = 1; // MPI_THREAD_FUNNELED in both families' mpi.h

    private readonly MpiLibrary _library;
    private readonly Handles _h;
    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized, _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<THandle, int*, int> _commRank, _commSize;
    private readonly delegate* unmanaged<THandle, THandle, int> _commSetErrhandler;
    private readonly delegate* unmanaged<THandle, int> _barrier;
    private readonly delegate* unmanaged<void*, int, THandle, int, THandle, int> _bcast;
    private readonly delegate* unmanaged<void*, void*, int, THandle, THandle, THandle, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, THandle, void*, int, THandle, int, THandle, int> _gather;
    private readonly delegate* unmanaged<void*, int, THandle, void*, int*, int*, THandle, int, THandle, int> _gatherv;
    private readonly delegate* unmanaged<THandle, int, int> _abort;
    private readonly delegate* unmanaged<int, byte*, int*, int> _errorString;
    private readonly delegate* unmanaged<byte*, int*, int> _libraryVersion;

    public int Rank { get; }
    public int Size { get; }
    public string Name { get; }
    public string Library { get; }

    /// <summary>Initialises MPI (MPI_Init_thread, FUNNELED) in this process.</summary>
    public MpiProcessGroup(MpiLibrary library, Handles handles)
    {
        _library = library;
        _h = handles;
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)library.Export("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)library.Export("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)library.Export("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)library.Export("MPI_Finalize");
        _commRank = (delegate* unmanaged<THandle, int*, int>)library.Export("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<THandle, int*, int>)library.Export("MPI_Comm_size");
        _commSetErrhandler = (delegate* unmanaged<THandle, THandle, int>)library.Export("MPI_Comm_set_errhandler");
        _barrier = (delegate* unmanaged<THandle, int>)library.Export("MPI_Barrier");
        _bcast = (delegate* unmanaged<void*, int, THandle, int, THandle, int>)library.Export("MPI_Bcast");
        _allreduce = (delegate* unmanaged<void*, void*, int, THandle, THandle, THandle, int>)library.Export("MPI_Allreduce");
        _gather = (delegate* unmanaged<void*, int, THandle, void*, int, THandle, int, THandle, int>)library.Export("MPI_Gather");
        _gatherv = (delegate* unmanaged<void*, int, THandle, void*, int*, int*, THandle, int, THandle, int>)library.Export("MPI_Gatherv");
        _abort = (delegate* unmanaged<THandle, int, int>)library.Export("MPI_Abort");
        _errorString = (delegate* unmanaged<int, byte*, int*, int>)library.Export("MPI_Error_string");
        _libraryVersion = (delegate* unmanaged<byte*, int*, int>)library.Export("MPI_Get_library_version");

        int initialized, provided, rank, size;
        Check(_initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) Check(_initThread(null, null, ThreadFunneled, &provided), "MPI_Init_thread");
        Check(_commSetErrhandler(_h.CommWorld, _h.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(_commRank(_h.CommWorld, &rank), "MPI_Comm_rank");
        Check(_commSize(_h.CommWorld, &size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
        Name = $"rank {rank} of {size} (pid {Environment.ProcessId} on {Environment.MachineName})";
        Library = $"{VersionLine()} [{library.Name}, {library.Abi} ABI]";
    }

    public void Barrier() => Check(_barrier(_h.CommWorld), "MPI_Barrier");

    public void Broadcast(Span<byte> data, int root = 0)
    {
        fixed (byte* p = data)
            for (long at = 0; at < data.Length; at += MaxCount)
                Check(_bcast(p + at, (int)Math.Min(MaxCount, data.Length - at), _h.Byte, root, _h.CommWorld), "MPI_Bcast");
    }

    public void AllReduceSum(Span<float> data)
    {
        fixed (float* p = data) AllReduceSum(p, data.Length, sizeof(float), _h.Float);
    }

    public void AllReduceSum(Span<double> data)
    {
        fixed (double* p = data) AllReduceSum(p, data.Length, sizeof(double), _h.Double);
    }

    private void AllReduceSum(void* data, long count, int elementSize, THandle type)
    {
        for (long at = 0; at < count; at += MaxCount)
            Check(_allreduce((void*)_h.InPlace, (byte*)data + at * elementSize, (int)Math.Min(MaxCount, count - at), type, _h.Sum, _h.CommWorld), "MPI_Allreduce");
    }

    public byte[][]? Gather(ReadOnlySpan<byte> message, int root = 0)
    {
        int length = message.Length;
        bool atRoot = Rank == root;
        var lengths = new int[atRoot ? Size : 1];
        fixed (int* pl = lengths)
            Check(_gather(&length, 1, _h.Int, pl, 1, _h.Int, root, _h.CommWorld), "MPI_Gather");
        var offsets = new int[lengths.Length];
        long total = 0;
        for (int r = 0; r < lengths.Length; r++) { offsets[r] = (int)total; total += lengths[r]; }
        if (total > int.MaxValue) throw new LVPruneException($"MPI gather on {Name}: {total} bytes in all, more than one call carries");
        var all = new byte[atRoot ? total : 0];
        fixed (byte* pm = message)
        fixed (byte* pa = all)
        fixed (int* pl = lengths)
        fixed (int* po = offsets)
            Check(_gatherv(pm, length, _h.Byte, pa, pl, po, _h.Byte, root, _h.CommWorld), "MPI_Gatherv");
        if (!atRoot) return null;
        return lengths.Select((n, r) => all.AsSpan(offsets[r], n).ToArray()).ToArray();
    }

    public void Abort(int exitCode)
    {
        _abort(_h.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; should a library return anyway, still end this process
    }

    /// <summary>MPI_Finalize, once, if MPI is initialised and not yet finalised.</summary>
    public void Shutdown()
    {
        int initialized, finalized;
        if (_initialized(&initialized) == 0 && initialized != 0 && _finalized(&finalized) == 0 && finalized == 0)
            Check(_finalize(), "MPI_Finalize");
    }

    private string VersionLine()
    {
        var buffer = new byte[8192]; // MPI_MAX_LIBRARY_VERSION_STRING: 256 in Open MPI, 8192 in MPICH
        int length;
        fixed (byte* p = buffer)
            if (_libraryVersion(p, &length) != 0) return "MPI";
        var text = Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).TrimEnd('\0');
        return text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.TrimEnd(',') ?? "MPI";
    }

    private void Check(int code, string call)
    {
        if (code == 0) return;
        var buffer = new byte[1024]; // MPI_MAX_ERROR_STRING: 256 in Open MPI, 512 in MPICH
        int length = 0;
        string text;
        fixed (byte* p = buffer)
            text = _errorString(code, p, &length) == 0 ? Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)) : $"error code {code}";
        string who = Name ?? $"pid {Environment.ProcessId} on {Environment.MachineName}";
        throw new LVPruneException($"{call} failed on {who} [{_library.Name}]: {text}");
    }
}
