namespace LVPrune.Distributed;

/// <summary>
/// The job this process belongs to. Without a launcher in the environment (<see cref="MpiLaunch.Detect"/>)
/// it is <see cref="SingleProcess"/> and no MPI library is loaded; under mpirun or srun, MPI is
/// initialised on first use and finalised by <see cref="Shutdown"/>.
/// </summary>
public static class ProcessGroup
{
    private static readonly Lock Gate = new();
    private static IProcessGroup? _world;
    private static Action? _shutdown;

    /// <summary>This process's job: MPI's COMM_WORLD when a launcher started it, else a single process.</summary>
    public static IProcessGroup World
    {
        get
        {
            lock (Gate)
            {
                if (_world is not null) return _world;
                var launch = MpiLaunch.Detect();
                _world = launch is null ? SingleProcess.Instance : Join(launch);
                return _world;
            }
        }
    }

    /// <summary>Finalises MPI if <see cref="World"/> initialised it (call once, at the end of the process).</summary>
    public static void Shutdown()
    {
        lock (Gate)
        {
            _shutdown?.Invoke();
            _shutdown = null;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>. In a job of several processes an exception ends the whole job: the
    /// error is written naming this process ("error: rank 1 of 2 (pid ...): ...") and MPI_Abort ends every
    /// rank with <paramref name="exitCodeOf"/>'s code, so no peer waits in a collective. Alone, exceptions
    /// propagate as usual.
    /// </summary>
    public static T RunOrAbort<T>(IProcessGroup group, Func<T> body, TextWriter error, Func<Exception, int> exitCodeOf)
    {
        if (group.Size == 1) return body();
        try
        {
            return body();
        }
        catch (Exception e)
        {
            string kind = e is LVPruneException or OperationCanceledException ? "error" : $"internal error: {e.GetType().Name}";
            error.WriteLine($"{kind}: {group.Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("LVPRUNE_DEBUG") is not null) error.WriteLine(e);
            error.Flush();
            group.Abort(exitCodeOf(e));
            throw; // not reached: Abort ends the process
        }
    }

    private static IProcessGroup Join(MpiLaunch launch)
    {
        var library = MpiLibrary.Load(launch.LibraryCandidates(), launch.Launcher);
        IProcessGroup group;
        if (library.Abi == MpiAbi.OpenMpi)
        {
            var g = new MpiProcessGroup<nint>(library, new(
                CommWorld: library.Export("ompi_mpi_comm_world"), Byte: library.Export("ompi_mpi_byte"), Int: library.Export("ompi_mpi_int"),
                Float: library.Export("ompi_mpi_float"), Double: library.Export("ompi_mpi_double"), Sum: library.Export("ompi_mpi_op_sum"),
                ErrorsReturn: library.Export("ompi_mpi_errors_return"), InPlace: 1));
            (group, _shutdown) = (g, g.Shutdown);
        }
        else
        {
            // mpi.h of MPICH (and of every library sharing its ABI).
            var g = new MpiProcessGroup<int>(library, new(
                CommWorld: 0x44000000, Byte: 0x4c00010d, Int: 0x4c000405, Float: 0x4c00040a, Double: 0x4c00080b, Sum: 0x58000003,
                ErrorsReturn: 0x54000001, InPlace: -1));
            (group, _shutdown) = (g, g.Shutdown);
        }
        if (launch.Size is { } size && size != group.Size || launch.Rank is { } rank && rank != group.Rank)
        {
            string said = $"rank {launch.Rank?.ToString() ?? "?"} of {launch.Size?.ToString() ?? "?"}";
            string mismatch = $"{launch.Launcher} started this process as {said}, but {library.Name} reports rank {group.Rank} of {group.Size}: " +
                              $"the MPI library does not belong to the launcher (set {MpiLaunch.LibraryVariable} to the launcher's libmpi" +
                              (launch.Launcher.StartsWith("Slurm", StringComparison.Ordinal) ? ", and start with srun --mpi=pmix)" : ")");
            _shutdown();
            _shutdown = null;
            throw new LVPruneException(mismatch);
        }
        return group;
    }
}
