namespace LVPrune.Server;

/// <summary>Where the server listens and what it accepts (the engine's own limits are in <see cref="Serving.ChatEngineOptions"/>).</summary>
public sealed record ServerOptions
{
    /// <summary>An IP address, or "localhost" (= 127.0.0.1).</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port (read it back from <see cref="LVPruneServer.Address"/>).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>When set, /v1/* requests need "Authorization: Bearer KEY".</summary>
    public string? ApiKey { get; init; }
    /// <summary>Largest request body; a larger one is answered 413. Room for a base64 image at the engine's byte limit.</summary>
    public long MaxBodyBytes { get; init; } = 32L << 20;
    /// <summary>How long fetching an http(s) image_url may take.</summary>
    public TimeSpan ImageFetchTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The Retry-After a 429 carries, in seconds.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new LVPruneException($"--port must be in 0..65535, got {Port}");
        if (Host != "localhost" && !System.Net.IPAddress.TryParse(Host, out _))
            throw new LVPruneException($"--host must be an IP address (e.g. 127.0.0.1, 0.0.0.0) or localhost, got '{Host}'");
        if (ApiKey is { Length: 0 }) throw new LVPruneException("--api-key must not be empty");
        if (MaxBodyBytes < 1024) throw new LVPruneException($"the body limit must be at least 1024 bytes, got {MaxBodyBytes}");
    }
}
