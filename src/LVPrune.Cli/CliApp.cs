using System.CommandLine;
using LVPrune.Cli.Commands;

namespace LVPrune.Cli;

/// <summary>
/// The `lvprune` command line: one thin command per file under Commands/, each parsing its options
/// and calling one library entry point. Exit codes: 0 success, 2 bad input (a one-line message
/// naming the file, key, shape or flag at fault), 1 an internal error.
/// </summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("LVPrune: LLaVA-1.5 on TorchSharp with LVPruning, language-guided vision-token pruning.");
        foreach (var command in new[]
                 {
                     DemoCommand.Create(), GenerateCommand.Create(), EvalCommand.Create(), ToyDataCommand.Create(), TrainCommand.Create(), ForwardCommand.Create(), InspectCommand.Create(), FlopsCommand.Create(), SweepCommand.Create(), BenchCommand.Create(), ScoreCommand.Create(), ExportCommand.Create(), ReportCommand.Create(), ServeCommand.Create(), MpiCheckCommand.Create(), BenchKernelsCommand.Create(), QuantizeCommand.Create(),
                 })
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>The exit code of an error: 2 for bad input, 130 for an interruption, 1 for a bug.</summary>
    public static int ExitCode(Exception e) => e switch { LVPruneException => 2, OperationCanceledException => 130, _ => 1 };

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        using var redirect = CliIO.Redirect(stdout, stderr);
        var root = Build();
        var parse = root.Parse(args);
        var err = CliIO.Err;
        if (parse.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            // One line, however many problems the parser found.
            err.WriteLine($"error: {string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')).Distinct())}");
            return 2;
        }
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (stdout is not null) config.Output = stdout;
        if (stderr is not null) config.Error = stderr;
        try
        {
            return parse.Invoke(config);
        }
        catch (LVPruneException e)
        {
            err.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            err.WriteLine("interrupted");
            return 130;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("LVPRUNE_DEBUG") is null)
        {
            err.WriteLine($"internal error: {e.GetType().Name}: {e.Message} (set LVPRUNE_DEBUG=1 for the stack trace; please report it)");
            return 1;
        }
    }
}
