using System.Diagnostics;
using LVPrune.Cli;
using LVPrune.Toy;

namespace LVPrune.Tests.Benchmarks;

/// <summary>`toy-data --format vqav2|gqa|pope` is deterministic for a seed across processes, as README promises.</summary>
public class ToyBenchmarkFilesTests
{
    [Theory]
    [InlineData("vqav2")]
    [InlineData("gqa")]
    [InlineData("pope")]
    public void TheSameSeed_WritesTheSameFiles_InAnotherProcess(string format)
    {
        string dir = Directory.CreateTempSubdirectory("lvprune-toyformat").FullName;
        try
        {
            string here = Path.Combine(dir, "here"), there = Path.Combine(dir, "there");
            ShapesVqaBenchmarkFiles.Write(here, ShapesVqaBenchmarkFiles.ParseFormat(format), 9, seed: 5, minObjects: 1, maxObjects: 3, imageSize: 64);
            // A second process: anything seeded from a per-process value (string or HashCode hashes) differs there.
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in new[] { typeof(CliApp).Assembly.Location, "toy-data", "--format", format, "--out", there, "--count", "9", "--seed", "5", "--objects", "1-3", "--image-size", "64" })
                start.ArgumentList.Add(a);
            using (var child = Process.Start(start)!)
            {
                string err = child.StandardError.ReadToEnd();
                child.WaitForExit();
                Assert.True(child.ExitCode == 0, err);
            }
            var files = Directory.EnumerateFiles(here, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(here, f)).Order().ToList();
            Assert.Equal(files, Directory.EnumerateFiles(there, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(there, f)).Order());
            Assert.Contains(files, f => f.EndsWith(".jsonl", StringComparison.Ordinal));
            foreach (string f in files)
                Assert.True(File.ReadAllBytes(Path.Combine(here, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(there, f))), $"{format}: {f} differs between the two processes");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
