using System.CommandLine;
using System.Runtime.InteropServices;
using LVPrune.Server;
using LVPrune.Serving;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune serve`: an OpenAI-compatible server with per-request pruning (LVPrune.Server), until Ctrl-C or SIGTERM.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var pruning = new PruningOptions();
        var host = new Option<string>("--host") { Description = "address to listen on (an IP address or localhost)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "port to listen on (0 = any free port)", DefaultValueFactory = _ => 8080 };
        var maxBatch = new Option<int>("--max-batch") { Description = "most requests decoding together (1 = one at a time)", DefaultValueFactory = _ => 8 };
        var maxQueue = new Option<int>("--max-queue") { Description = "most requests waiting; more are answered 429", DefaultValueFactory = _ => 64 };
        var apiKey = new Option<string>("--api-key") { Description = "require \"Authorization: Bearer KEY\" on /v1/*" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of requests that set none", DefaultValueFactory = _ => 256 };
        var cmd = new Command("serve", "Serve the model over HTTP: OpenAI's /v1/chat/completions with per-request pruning, /metrics, and a page at /.")
        {
            host, port, maxBatch, maxQueue, apiKey, maxTokens,
        };
        models.AddTo(cmd);
        pruning.AddTo(cmd);
        cmd.SetAction(async (r, cancellation) =>
        {
            string dir = models.Dir(r);
            var spec = pruning.Spec(r, dir);
            var engineOptions = new ChatEngineOptions
            {
                ModelId = ChatEngineOptions.ModelIdOf(dir),
                MaxBatch = r.GetValue(maxBatch), MaxQueue = r.GetValue(maxQueue), DefaultMaxTokens = r.GetValue(maxTokens),
                DefaultPruning = spec,
                // Without --adapter, per-request lvpruning uses the default adapter of every command (the bundled toy model's).
                AdapterPath = spec.AdapterPath ?? CommonOptions.DefaultAdapter(dir),
            };
            engineOptions.Validate();
            var serverOptions = new ServerOptions { Host = r.GetValue(host)!, Port = r.GetValue(port), ApiKey = r.GetValue(apiKey) };
            serverOptions.Validate();
            // Ctrl-C (SIGINT) and SIGTERM stop the server; the default handling would end the process at once.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            var pipeline = models.Load(r);
            await using var server = await LVPruneServer.StartAsync(pipeline, engineOptions, serverOptions, CliIO.Err, stop.Token);
            CliIO.Err.WriteLine($"serving {engineOptions.ModelId}: max batch {engineOptions.MaxBatch}, queue {engineOptions.MaxQueue}, " +
                                $"default pruning {spec.MethodName}, lvpruning adapter {engineOptions.AdapterPath ?? "none"}" +
                                (serverOptions.ApiKey is null ? "" : ", API key required") + "; Ctrl-C stops");
            CliIO.Out.WriteLine($"listening on {server.Address}");
            CliIO.Out.Flush();
            await server.WaitAsync(stop.Token);
            CliIO.Err.WriteLine("stopping");
            return 0;
        });
        return cmd;
    }
}
