namespace LVPrune.Cli;

/// <summary>Standard output and error of the running command: the console, or writers a caller
/// (a test) passes to <see cref="CliApp.Run"/>. Per async flow, so parallel callers do not mix.</summary>
public static class CliIO
{
    private static readonly AsyncLocal<TextWriter?> _out = new();
    private static readonly AsyncLocal<TextWriter?> _err = new();

    public static TextWriter Out => _out.Value ?? Console.Out;
    public static TextWriter Err => _err.Value ?? Console.Error;

    public static IDisposable Redirect(TextWriter? stdout, TextWriter? stderr)
    {
        var (o, e) = (_out.Value, _err.Value);
        _out.Value = stdout;
        _err.Value = stderr;
        return new Restore(() => { _out.Value = o; _err.Value = e; });
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
