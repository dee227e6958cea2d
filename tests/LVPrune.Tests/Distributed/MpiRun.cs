using System.Diagnostics;

namespace LVPrune.Tests.Distributed;

/// <summary>The two MPI families the tests launch with: Open MPI's mpirun and MPICH's Hydra (Debian's names
/// first: both can be installed side by side, and `mpirun` is whichever the alternatives chose).</summary>
public enum MpiFamily { OpenMpi, Mpich }

/// <summary>
/// Runs the command line (the built LVPrune.Cli.dll next to the tests) under a real mpirun with N
/// processes. Open MPI refuses root without its two consent variables, and a job larger than the
/// machine's cores without --oversubscribe; both are given.
/// </summary>
public static class MpiRun
{
    private static readonly Dictionary<MpiFamily, string?> Found = [];

    /// <summary>The launcher of <paramref name="family"/> on PATH, or null.</summary>
    public static string? Launcher(MpiFamily family)
    {
        lock (Found)
        {
            if (Found.TryGetValue(family, out var known)) return known;
            var (named, marker) = family == MpiFamily.OpenMpi ? ("mpirun.openmpi", "Open MPI") : ("mpirun.mpich", "HYDRA");
            string? path = OnPath(named) ?? (OnPath("mpirun") is { } generic && VersionOf(generic).Contains(marker, StringComparison.OrdinalIgnoreCase) ? generic : null);
            return Found[family] = path;
        }
    }

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "LVPrune.Cli.dll");

    /// <summary>`mpirun -np <paramref name="processes"/> dotnet LVPrune.Cli.dll args...`; kills the job after <paramref name="timeout"/>.</summary>
    public static (int Code, string Stdout, string Stderr) Cli(MpiFamily family, int processes, IEnumerable<string> args,
                                                                IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        using var p = Start(family, processes, args, environment);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpirun did not finish within {timeout ?? TimeSpan.FromMinutes(3)}; stderr so far:\n{Snapshot(stderr)}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the job with standard output and error redirected (read both).</summary>
    public static Process Start(MpiFamily family, int processes, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        string launcher = Launcher(family) ?? throw new InvalidOperationException($"no {family} mpirun on PATH");
        var psi = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (family == MpiFamily.OpenMpi) psi.ArgumentList.Add("--oversubscribe");
        psi.ArgumentList.Add("-np");
        psi.ArgumentList.Add(processes.ToString());
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        p.StandardInput.Close();
        return p;
    }

    private static string Snapshot(Task<string> text) => text.IsCompleted ? text.Result : "(still open)";

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string VersionOf(string launcher)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(launcher, "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit(10_000);
            return text;
        }
        catch (Exception) { return ""; }
    }
}

/// <summary>A fact that needs a real mpirun of one MPI family; reported as skipped, never as passed, where
/// that family is not installed (`.ci/run` installs both from Debian's packages).</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute(MpiFamily family) => Skip = Missing.Mpi(family);
}

/// <summary>Tests that start MPI jobs run one at a time: each job takes both cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MpiJobsCollection
{
    public const string Name = "MPI jobs (serial)";
}
