using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LVPrune.Generation;
using LVPrune.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace LVPrune.Server;

/// <summary>
/// <c>lvprune serve</c>: an OpenAI-compatible HTTP server (ASP.NET Core, Kestrel) over a <see cref="ChatEngine"/>.
/// <list type="bullet">
/// <item><c>POST /v1/chat/completions</c> (<see cref="ChatCompletionsEndpoint"/>), <c>GET /v1/models</c>;</item>
/// <item><c>GET /health</c>, <c>GET /metrics</c> (Prometheus, <see cref="ServerMetrics"/>);</item>
/// <item><c>GET /</c>: a page to ask about an image and see the patches each pruning stage kept.</item>
/// </list>
/// With an API key, /v1/* needs "Authorization: Bearer KEY" (401 otherwise). No request is answered with a
/// stack trace: whatever escapes becomes a 500 in OpenAI's error shape.
/// </summary>
public sealed class LVPruneServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ImageUrlLoader _images;
    private bool _disposed;

    private LVPruneServer(WebApplication app, ChatEngine engine, ImageUrlLoader images, ServerMetrics metrics, Uri address)
    {
        _app = app;
        Engine = engine;
        _images = images;
        Metrics = metrics;
        Address = address;
    }

    public ChatEngine Engine { get; }
    public ServerMetrics Metrics { get; }
    /// <summary>The bound address, e.g. http://127.0.0.1:43117/ (the real port when 0 was asked for).</summary>
    public Uri Address { get; }

    /// <summary>Starts serving <paramref name="pipeline"/> (owned by the server from here on) and returns once listening.</summary>
    public static async Task<LVPruneServer> StartAsync(LlavaPipeline pipeline, ChatEngineOptions engineOptions, ServerOptions options,
                                                       TextWriter? log = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var metrics = new ServerMetrics();
        ChatEngine engine;
        try
        {
            engine = new ChatEngine(pipeline, engineOptions with { Observer = metrics }, ownsPipeline: true);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
        metrics.Watch(engine);
        var images = new ImageUrlLoader(engine, options.ImageFetchTimeout);
        try
        {
            var app = Build(engine, images, metrics, options, log);
            await app.StartAsync(cancellation);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new LVPruneServer(app, engine, images, metrics, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
        }
        catch
        {
            images.Dispose();
            engine.Dispose();
            throw;
        }
    }

    private static WebApplication Build(ChatEngine engine, ImageUrlLoader images, ServerMetrics metrics, ServerOptions options, TextWriter? log)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (log is not null) builder.Logging.AddProvider(new TextWriterLoggerProvider(log, LogLevel.Warning));
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.AddServerHeader = false;
            k.Listen(options.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host), options.Port);
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await OpenAiError.Of(500, $"internal error: {e.GetType().Name}: {e.Message}", null, "internal_error").WriteAsync(context.Response, 500);
            }
        });
        if (options.ApiKey is { } key)
        {
            var expected = Encoding.UTF8.GetBytes("Bearer " + key);
            app.Use(async (context, next) =>
            {
                if (context.Request.Path.StartsWithSegments("/v1")
                    && !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()), expected))
                {
                    metrics.Refused("unauthorized");
                    await OpenAiError.Of(401, "missing or wrong API key: send \"Authorization: Bearer KEY\" (the server's --api-key)", null, "invalid_api_key")
                        .WriteAsync(context.Response, 401);
                    return;
                }
                await next(context);
            });
        }

        var chat = new ChatCompletionsEndpoint(engine, images, metrics, options);
        long started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        JsonObject Model() => new() { ["id"] = engine.Options.ModelId, ["object"] = "model", ["created"] = started, ["owned_by"] = "lvprune" };
        app.MapPost("/v1/chat/completions", chat.HandleAsync);
        app.MapGet("/v1/models", () => Results.Content(new JsonObject { ["object"] = "list", ["data"] = new JsonArray(Model()) }.ToJsonString(), "application/json"));
        app.MapGet("/v1/models/{id}", (HttpContext context, string id) => id == engine.Options.ModelId
            ? context.Response.WriteAsJsonAsync(Model())
            : OpenAiError.Of(404, $"model '{id}' does not exist here; this server serves '{engine.Options.ModelId}'", "model", "model_not_found").WriteAsync(context.Response, 404));
        app.Map("/v1/{**rest}", (HttpContext context) =>
            OpenAiError.Of(404, $"{context.Request.Method} {context.Request.Path} is not an endpoint of this server", null, "unknown_url").WriteAsync(context.Response, 404));
        app.MapGet("/health", () => Results.Content(new JsonObject
        {
            ["status"] = "ok", ["model"] = engine.Options.ModelId, ["queue"] = engine.QueueLength, ["active"] = engine.ActiveRows,
            ["max_batch"] = engine.Options.MaxBatch, ["lvpruning"] = engine.HasAdapter,
        }.ToJsonString(), "application/json"));
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapGet("/", () => Results.Content(Page.Html, "text/html; charset=utf-8"));
        return app;
    }

    /// <summary>Runs until <paramref name="cancellation"/> fires (Ctrl-C), then stops.</summary>
    public async Task WaitAsync(CancellationToken cancellation)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Engine.Dispose(); // open requests end with 503 / an error event, so the host stops quickly
        await _app.StopAsync();
        await _app.DisposeAsync();
        _images.Dispose();
    }
}
