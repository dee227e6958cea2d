namespace LVPrune;

/// <summary>
/// An error caused by the user's input (a file, key, shape, flag or value), with a one-line
/// message that names what is at fault. The CLI prints it as "error: ..." and exits with code 2;
/// anything else is a bug and keeps its stack trace.
/// </summary>
public sealed class LVPruneException : Exception
{
    public LVPruneException(string message) : base(message) { }
    public LVPruneException(string message, Exception inner) : base(message, inner) { }
}
