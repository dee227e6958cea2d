using System.Diagnostics;
using System.Text.Json;

namespace LVPrune.Tests.Serving;

/// <summary>`lvprune serve` as a user runs it: a process on the bundled model that prints where it listens,
/// answers, and stops cleanly on SIGTERM (as on Ctrl-C).</summary>
public class ServeCommandTests
{
    [Fact]
    public async Task ServeCommand_ListensAnswersAndStopsOnSigterm()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "LVPrune.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "serve", "--port", "0", "--max-batch", "2", "--method", "lvpruning", "--rho", "0.5"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(line);
            Assert.StartsWith("listening on http://127.0.0.1:", line);
            using var http = new HttpClient { BaseAddress = new Uri(line["listening on ".Length..]) };
            var health = JsonDocument.Parse(await http.GetStringAsync("health")).RootElement;
            Assert.Equal("toy-llava", health.GetProperty("model").GetString());
            Assert.Equal(2, health.GetProperty("max_batch").GetInt32());
            // The server's flags are the default pruning: LVPruning at rho 0.5 with the bundled adapter.
            var answer = JsonDocument.Parse(await (await http.PostAsync("v1/chat/completions",
                new StringContent(ServerHarness.Ask(ToyServing.Questions[0]).ToJsonString()))).Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(ToyServing.Truths[0], ServerHarness.Content(answer));
            Assert.Equal([72, 43, 14], ServerHarness.Kept(answer.GetProperty("lvprune")).Select(k => k.Length));

            // SIGTERM (what a service manager sends; a SIGINT from a non-interactive parent may be ignored by inheritance).
            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("stopping", await stderr);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void ServeCommand_RefusesBadFlags_WithExitCode2()
    {
        var (code, _, stderr) = Cli.CliRunner.Run("serve", "--port", "70000");
        Assert.Equal(2, code);
        Assert.Contains("--port must be in 0..65535", stderr);
        (code, _, stderr) = Cli.CliRunner.Run("serve", "--host", "not an address");
        Assert.Equal(2, code);
        Assert.Contains("--host", stderr);
        (code, _, stderr) = Cli.CliRunner.Run("serve", "--max-batch", "0");
        Assert.Equal(2, code);
        Assert.Contains("--max-batch must be >= 1", stderr);
    }
}
