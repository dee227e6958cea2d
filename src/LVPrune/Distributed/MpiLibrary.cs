using System.Runtime.InteropServices;

namespace LVPrune.Distributed;

/// <summary>The two ABI families of MPI libraries: how their handles (communicators, datatypes, ops) are represented.</summary>
public enum MpiAbi
{
    /// <summary>Open MPI: a handle is the address of an exported global (ompi_mpi_comm_world, ompi_mpi_float, ...).</summary>
    OpenMpi,
    /// <summary>MPICH and the libraries sharing its ABI (Intel MPI, MVAPICH, Cray MPICH, MS-MPI): handles are
    /// 32-bit integers fixed in mpi.h (MPI_COMM_WORLD = 0x44000000, ...).</summary>
    Mpich,
}

/// <summary>An MPI library loaded into this process, and which ABI family it belongs to.</summary>
public sealed record MpiLibrary(string Name, nint Handle, MpiAbi Abi)
{
    /// <summary>Loads the first of <paramref name="candidates"/> that loads and exports MPI_Init_thread.</summary>
    public static MpiLibrary Load(IReadOnlyList<string> candidates, string launcher)
    {
        var failures = new List<string>();
        foreach (var name in candidates)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle))
            {
                failures.Add($"{name}: not found");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, "MPI_Init_thread", out _))
            {
                failures.Add($"{name}: no MPI_Init_thread, not an MPI library");
                continue;
            }
            var abi = NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _) ? MpiAbi.OpenMpi : MpiAbi.Mpich;
            return new MpiLibrary(name, handle, abi);
        }
        throw new LVPruneException($"started by {launcher}, but no MPI library loads ({string.Join("; ", failures)}); " +
                                   $"install the MPI runtime the launcher belongs to (Debian: openmpi-bin or mpich) or set {MpiLaunch.LibraryVariable} to its libmpi");
    }

    /// <summary>The address of an exported function or global.</summary>
    public nint Export(string symbol) =>
        NativeLibrary.TryGetExport(Handle, symbol, out nint address)
            ? address
            : throw new LVPruneException($"{Name}: the MPI library exports no '{symbol}'");
}
