using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LVPrune.Tests.Serving;

/// <summary>A small web server on loopback that hands out an image (and slow or endless answers) for image_url tests.</summary>
public sealed class ImageHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Uri _address;

    private ImageHost(WebApplication app, Uri address)
    {
        _app = app;
        _address = address;
    }

    public string Url(string path) => new Uri(_address, path).ToString();

    public static async Task<ImageHost> StartAsync(byte[] png)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/scene.png", () => Results.Bytes(png, "image/png"));
        app.MapGet("/slow.png", async (CancellationToken ct) => { await Task.Delay(TimeSpan.FromSeconds(30), ct); return Results.Bytes(png, "image/png"); });
        // Sends without Content-Length, forever: the server must stop reading at its byte limit.
        app.MapGet("/endless.png", async (HttpContext context) =>
        {
            context.Response.ContentType = "image/png";
            var chunk = new byte[64 * 1024];
            while (!context.RequestAborted.IsCancellationRequested)
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
        });
        await app.StartAsync();
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ImageHost(app, new Uri(bound + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
