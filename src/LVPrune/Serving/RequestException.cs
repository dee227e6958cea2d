namespace LVPrune.Serving;

/// <summary>
/// A request the engine refuses, with what the OpenAI API reports about it: the HTTP status (400 bad input,
/// 404 unknown model, 429 queue full, ...), the request field at fault (<see cref="Param"/>, e.g.
/// "messages[1].content[0].image_url") and a machine-readable <see cref="Code"/>. The message is one line
/// and names the field, value or limit at fault.
/// </summary>
public sealed class RequestException : Exception
{
    public RequestException(string message, string? param = null, string code = "invalid_request", int status = 400)
        : base(message)
    {
        Param = param;
        Code = code;
        Status = status;
    }

    public string? Param { get; }
    public string Code { get; }
    public int Status { get; }

    /// <summary>The 429 answer to a request that finds the queue full.</summary>
    public static RequestException QueueFull(int capacity) =>
        new($"the server is busy: {capacity} requests are already waiting; retry shortly", null, "queue_full", 429);
}
