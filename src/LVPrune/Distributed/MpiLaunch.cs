using System.Globalization;

namespace LVPrune.Distributed;

/// <summary>
/// How this process was started, read from the environment a launcher leaves, before any MPI
/// library is loaded: Open MPI's mpirun (OMPI_COMM_WORLD_*), MPICH's Hydra and Intel MPI
/// (PMI_RANK/PMI_SIZE, MPI_LOCALRANKID), a PMIx launcher (PMIX_RANK), or Slurm's srun (SLURM_PROCID with
/// SLURM_STEP_NUM_TASKS; it needs an MPI plugin, e.g. srun --mpi=pmix). A job of one process, or none of
/// these, runs without MPI.
/// </summary>
/// <param name="Launcher">which launcher's variables were found, for messages</param>
/// <param name="Rank">the rank the launcher gave, when it says</param>
/// <param name="Size">processes in the job, when the launcher says (PMIx alone does not)</param>
/// <param name="LocalRank">rank among this node's processes, when known (one GPU per local rank)</param>
/// <param name="LocalSize">processes on this node, when known</param>
public sealed record MpiLaunch(string Launcher, int? Rank, int? Size, int? LocalRank, int? LocalSize)
{
    /// <summary>Environment variable naming the MPI library to load (a file name or path), overriding the probe.</summary>
    public const string LibraryVariable = "LVPRUNE_MPI_LIBRARY";

    /// <summary>The launch this process is part of, or null when it runs alone (no launcher, or a job of one).</summary>
    public static MpiLaunch? Detect(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        int? Int(string name) => int.TryParse(env(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;
        MpiLaunch? launch =
            env("OMPI_COMM_WORLD_SIZE") is not null
                ? new("Open MPI (OMPI_COMM_WORLD_SIZE)", Int("OMPI_COMM_WORLD_RANK"), Int("OMPI_COMM_WORLD_SIZE"), Int("OMPI_COMM_WORLD_LOCAL_RANK"), Int("OMPI_COMM_WORLD_LOCAL_SIZE"))
            : env("PMI_SIZE") is not null
                ? new("PMI (PMI_SIZE: MPICH's Hydra, Intel MPI or Slurm's pmi2)", Int("PMI_RANK"), Int("PMI_SIZE"), Int("MPI_LOCALRANKID") ?? Int("SLURM_LOCALID"), Int("MPI_LOCALNRANKS"))
            : env("PMIX_RANK") is not null
                ? new("PMIx (PMIX_RANK)", Int("PMIX_RANK"), Int("SLURM_STEP_NUM_TASKS") ?? Int("SLURM_NTASKS"), Int("SLURM_LOCALID"), null)
            : env("SLURM_PROCID") is not null && env("SLURM_STEP_ID") is not null
                ? new("Slurm's srun (SLURM_PROCID)", Int("SLURM_PROCID"), Int("SLURM_STEP_NUM_TASKS") ?? Int("SLURM_NTASKS"), Int("SLURM_LOCALID"), null)
            : null;
        return launch is { Size: <= 1 } ? null : launch;
    }

    /// <summary>MPI libraries to try, in order: <see cref="LibraryVariable"/> alone when set, else the
    /// launcher's own family first (Open MPI: libmpi.so.40; Hydra: MPICH's libmpich.so.12, then the MPICH-ABI
    /// libmpi.so.12 of Intel MPI and MVAPICH), then the other family.</summary>
    public IReadOnlyList<string> LibraryCandidates(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        if (env(LibraryVariable) is { Length: > 0 } chosen) return [chosen];
        if (OperatingSystem.IsWindows()) return ["msmpi.dll"];
        if (OperatingSystem.IsMacOS()) return ["libmpi.40.dylib", "libmpi.12.dylib", "libmpi.dylib"];
        string[] openMpi = ["libmpi.so.40"], mpich = ["libmpich.so.12", "libmpi.so.12"];
        return Launcher.StartsWith("PMI (", StringComparison.Ordinal) ? [.. mpich, .. openMpi] : [.. openMpi, .. mpich];
    }
}
