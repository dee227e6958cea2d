using System.Diagnostics;

namespace LVPrune.Tests.Cli;

/// <summary>
/// The ./lvprune launcher rebuilds only when an input changed. It runs here on a throwaway tree with
/// the same layout (the launcher itself, src/LVPrune.Cli with a one-line console project) so that a
/// real `dotnet build` runs without touching the repository.
/// </summary>
public sealed class LauncherTests : IDisposable
{
    private const string BuildMarker = "lvprune: building";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lvprune-launcher-" + Guid.NewGuid().ToString("N"));

    public LauncherTests()
    {
        string cli = Path.Combine(_root, "src", "LVPrune.Cli");
        Directory.CreateDirectory(cli);
        File.Copy(Path.Combine(RepositoryRoot(), "lvprune"), Path.Combine(_root, "lvprune"));
        File.WriteAllText(Path.Combine(cli, "LVPrune.Cli.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <AssemblyName>LVPrune.Cli</AssemblyName>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(cli, "Program.cs"), "Console.WriteLine(\"args: \" + string.Join(' ', args));\n");
        Directory.CreateDirectory(Path.Combine(_root, "assets"));
        File.WriteAllText(Path.Combine(_root, "assets", "note.txt"), "bundled");
    }

    [Fact]
    public void Builds_once_then_only_after_an_input_changes()
    {
        var first = Launch("flops", "--json");
        Assert.Equal(0, first.Code);
        Assert.Contains(BuildMarker, first.Stderr);
        Assert.Equal("args: flops --json", first.Stdout.Trim());   // build output stays off standard output

        string dll = Path.Combine(_root, "src", "LVPrune.Cli", "bin", "Release", "net10.0", "LVPrune.Cli.dll");
        var built = File.GetLastWriteTimeUtc(dll);
        var second = Launch("flops");
        Assert.Equal(0, second.Code);
        Assert.DoesNotContain(BuildMarker, second.Stderr);
        Assert.Equal(built, File.GetLastWriteTimeUtc(dll));

        // Files the build writes under bin/ and obj/ are not inputs.
        File.WriteAllText(Path.Combine(_root, "src", "LVPrune.Cli", "obj", "later.txt"), "x");
        Assert.DoesNotContain(BuildMarker, Launch().Stderr);

        // A touched source file is.
        File.SetLastWriteTimeUtc(Path.Combine(_root, "src", "LVPrune.Cli", "Program.cs"), DateTime.UtcNow);
        var third = Launch("x");
        Assert.Equal(0, third.Code);
        Assert.Contains(BuildMarker, third.Stderr);
        Assert.DoesNotContain(BuildMarker, Launch().Stderr);

        // So is an asset.
        File.SetLastWriteTimeUtc(Path.Combine(_root, "assets", "note.txt"), DateTime.UtcNow);
        Assert.Contains(BuildMarker, Launch().Stderr);
    }

    private (int Code, string Stdout, string Stderr) Launch(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _root };
        psi.ArgumentList.Add(Path.Combine(_root, "lvprune"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); throw new TimeoutException("launcher did not finish"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LVPrune.slnx"))) return dir.FullName;
        throw new InvalidOperationException("repository root (LVPrune.slnx) not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
