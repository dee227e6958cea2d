using System.Text.Json;
using LVPrune.Distributed;

namespace LVPrune.Tests.Distributed;

/// <summary>The MPI binding: launch detection from the environment (no library needed), and real
/// `mpirun -np 2` jobs of both ABI families checked against closed forms.</summary>
public class MpiLaunchTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Key == name).Value;

    [Fact]
    public void EachLaunchersVariables_GiveRankSizeAndLocalPlacement()
    {
        var ompi = MpiLaunch.Detect(Env(("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_RANK", "3"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2")))!;
        Assert.Equal((3, 4, 1, 2), (ompi.Rank, ompi.Size, ompi.LocalRank, ompi.LocalSize));
        Assert.StartsWith("Open MPI", ompi.Launcher);

        var hydra = MpiLaunch.Detect(Env(("PMI_SIZE", "2"), ("PMI_RANK", "1"), ("MPI_LOCALRANKID", "1"), ("MPI_LOCALNRANKS", "2")))!;
        Assert.Equal((1, 2, 1, 2), (hydra.Rank, hydra.Size, hydra.LocalRank, hydra.LocalSize));

        var pmix = MpiLaunch.Detect(Env(("PMIX_RANK", "5"), ("SLURM_PROCID", "5"), ("SLURM_STEP_ID", "0"), ("SLURM_STEP_NUM_TASKS", "8"), ("SLURM_LOCALID", "1")))!;
        Assert.Equal((5, 8, 1), (pmix.Rank, pmix.Size, pmix.LocalRank));
        Assert.StartsWith("PMIx", pmix.Launcher);

        var srun = MpiLaunch.Detect(Env(("SLURM_PROCID", "1"), ("SLURM_STEP_ID", "3"), ("SLURM_STEP_NUM_TASKS", "2")))!;
        Assert.Equal((1, 2), (srun.Rank, srun.Size));
        Assert.StartsWith("Slurm", srun.Launcher);
    }

    [Fact]
    public void NoLauncher_AJobOfOne_OrASlurmBatchScript_RunAlone()
    {
        Assert.Null(MpiLaunch.Detect(Env()));
        Assert.Null(MpiLaunch.Detect(Env(("OMPI_COMM_WORLD_SIZE", "1"), ("OMPI_COMM_WORLD_RANK", "0"))));
        Assert.Null(MpiLaunch.Detect(Env(("PMI_SIZE", "1"), ("PMI_RANK", "0"))));
        // sbatch's batch shell has SLURM_PROCID but no job step: not an MPI launch.
        Assert.Null(MpiLaunch.Detect(Env(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "8"))));
    }

    [Fact]
    public void LibraryProbe_PrefersTheLaunchersFamily_AndTheVariableOverridesIt()
    {
        if (!OperatingSystem.IsLinux()) return;
        var ompi = MpiLaunch.Detect(Env(("OMPI_COMM_WORLD_SIZE", "2")))!;
        Assert.Equal(["libmpi.so.40", "libmpich.so.12", "libmpi.so.12"], ompi.LibraryCandidates(Env()));
        var hydra = MpiLaunch.Detect(Env(("PMI_SIZE", "2")))!;
        Assert.Equal(["libmpich.so.12", "libmpi.so.12", "libmpi.so.40"], hydra.LibraryCandidates(Env()));
        Assert.Equal(["/opt/mpi/lib/libmpi.so"], hydra.LibraryCandidates(Env((MpiLaunch.LibraryVariable, "/opt/mpi/lib/libmpi.so"))));
    }

    [Fact]
    public void WithoutALauncher_TheWorldIsOneProcess_AndNoMpiLibraryIsLoaded()
    {
        Assert.Null(MpiLaunch.Detect());
        var world = ProcessGroup.World;
        Assert.Same(SingleProcess.Instance, world);
        Assert.Equal((0, 1), (world.Rank, world.Size));
        var data = new float[] { 1.5f, -2f };
        world.AllReduceSum(data);
        Assert.Equal([1.5f, -2f], data);
        Assert.Equal([[7, 8]], world.Gather([7, 8])!);
        if (OperatingSystem.IsLinux())
            Assert.DoesNotContain(File.ReadLines("/proc/self/maps"), l => l.Contains("libmpi") || l.Contains("libmpich"));
    }

    [Fact]
    public void MpiCheck_Alone_IsAJobOfOne()
    {
        var (code, stdout, stderr) = LVPrune.Tests.Cli.CliRunner.Run("mpi-check", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(1, doc.RootElement.GetProperty("size").GetInt32());
        Assert.Equal("single process", doc.RootElement.GetProperty("library").GetString());
        Assert.True(doc.RootElement.GetProperty("ranks")[0].GetProperty("allreduce_exact").GetBoolean());
        Assert.Empty(doc.RootElement.GetProperty("allreduce").EnumerateArray()); // nothing to time alone
    }
}

[Collection(MpiJobsCollection.Name)]
public class MpiJobTests
{
    [MpiFact(MpiFamily.OpenMpi)] public void OpenMpi_CollectivesGiveTheClosedForms() => CollectivesGiveTheClosedForms(MpiFamily.OpenMpi, "Open MPI", "OpenMpi ABI");
    [MpiFact(MpiFamily.Mpich)] public void Mpich_CollectivesGiveTheClosedForms() => CollectivesGiveTheClosedForms(MpiFamily.Mpich, "MPICH", "Mpich ABI");

    /// <summary>Every rank adds x_r[i] = r + 1 + (i mod 1000) over 1,000,003 floats: the sum is N(N+1)/2 + N (i mod 1000)
    /// exactly; the double and broadcast checks likewise; gather brings every rank's report to rank 0.</summary>
    private static void CollectivesGiveTheClosedForms(MpiFamily family, string libraryName, string abi)
    {
        const int N = 2;
        var (code, stdout, stderr) = MpiRun.Cli(family, N, ["mpi-check", "--max-mb", "1", "--repeat", "2", "--json"]);
        Assert.True(code == 0, $"exit {code}\n{stderr}");
        using var doc = JsonDocument.Parse(stdout); // --json: standard output holds the JSON alone, on rank 0 only
        var root = doc.RootElement;
        Assert.Equal(N, root.GetProperty("size").GetInt32());
        Assert.Contains(libraryName, root.GetProperty("library").GetString());
        Assert.Contains(abi, root.GetProperty("library").GetString());
        var ranks = root.GetProperty("ranks").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(0, N), ranks.Select(r => r.GetProperty("rank").GetInt32()));
        Assert.Equal(N, ranks.Select(r => r.GetProperty("pid").GetInt32()).Distinct().Count());
        foreach (var r in ranks)
        {
            var head = r.GetProperty("allreduce_head").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(Enumerable.Range(0, head.Length).Select(i => (float)(N * (N + 1) / 2 + N * i)), head);
            Assert.True(r.GetProperty("allreduce_exact").GetBoolean());
            Assert.True(r.GetProperty("allreduce_double_exact").GetBoolean());
            Assert.True(r.GetProperty("broadcast_exact").GetBoolean());
        }
        var speed = root.GetProperty("allreduce").EnumerateArray().Single();
        Assert.Equal(1L << 20, speed.GetProperty("bytes").GetInt64());
        Assert.True(speed.GetProperty("seconds").GetDouble() > 0);
        Assert.True(root.GetProperty("ok").GetBoolean());
    }

    [MpiFact(MpiFamily.OpenMpi)]
    public void ALibraryOfTheOtherFamily_IsAClearError_NotAHang()
    {
        if (MpiRun.Launcher(MpiFamily.Mpich) is null) return; // needs both families installed
        // Open MPI's mpirun, MPICH's library: each process would start as a job of its own.
        var (code, _, stderr) = MpiRun.Cli(MpiFamily.OpenMpi, 2, ["mpi-check", "--max-mb", "0"],
                                           new Dictionary<string, string> { [MpiLaunch.LibraryVariable] = "libmpich.so.12" }, TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, code);
        Assert.Contains("does not belong to the launcher", stderr);
        Assert.Contains(MpiLaunch.LibraryVariable, stderr);
    }
}
