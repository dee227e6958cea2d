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

    /// <summary>Bad input: exit code 2 and a one-line "error: ..." naming <paramref name="expected"/>, no stack trace.</summary>
    public static void AssertUserError((int code, string stdout, string stderr) r, string expected)
    {
        Assert.Equal(2, r.code);
        Assert.StartsWith("error: ", r.stderr);
        Assert.Contains(expected, r.stderr);
        Assert.DoesNotContain("   at ", r.stderr); // no stack trace
    }
}
