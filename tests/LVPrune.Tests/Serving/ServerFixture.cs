using LVPrune.Server;
using LVPrune.Serving;

namespace LVPrune.Tests.Serving;

/// <summary>One server shared by a test class: small limits so the error cases are cheap to provoke.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const long BodyLimit = 1 << 20;
    public const long PixelLimit = 1024 * 1024;

    private ServerHarness? _harness;
    public ServerHarness Harness => _harness!;

    public async Task InitializeAsync() =>
        _harness = await ServerHarness.StartAsync(new ChatEngineOptions { MaxBatch = 8, MaxImagePixels = PixelLimit },
                                                  new ServerOptions { MaxBodyBytes = BodyLimit });

    public async Task DisposeAsync()
    {
        if (_harness is not null) await _harness.DisposeAsync();
    }
}
