using LVPrune.Cli;

namespace LVPrune.Tests.Cli;

/// <summary>Runs `lvprune` in-process with captured standard output and error.</summary>
public static class CliRunner
{
    public static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
