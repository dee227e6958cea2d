#:property UsesTorch=false
#:property TargetFramework=net10.0
// The load client of scripts/load-test.sh (a .NET file-based app: `dotnet run LoadClient.cs -- ...`).
// Asks every (question, pruning) pair alone first, then sends N concurrent clients x M streaming requests
// and checks each answer against the one asked alone. Prints one JSON line with requests/s, generated
// tokens/s, TTFT percentiles (measured here, to the first content event) and the counts of wrong, refused
// (429) and failed requests. Talks only to the URL it is given (a loopback server).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

var options = Args.Parse(args);
string dataDir = Path.GetDirectoryName(Path.GetFullPath(options["--data"]))!;
var items = JsonDocument.Parse(File.ReadAllText(options["--data"])).RootElement.EnumerateArray().Select(item => (
    Question: item.GetProperty("conversations")[0].GetProperty("value").GetString()!.Replace("<image>", "").Trim(),
    Image: "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dataDir, item.GetProperty("image").GetString()!))))).ToList();
int clients = int.Parse(options["--clients"]), perClient = int.Parse(options["--requests"]), maxTokens = int.Parse(options["--max-tokens"]);
JsonObject?[] mix = options["--mix"] switch
{
    "none" => [null],
    "lvpruning" => [Pruning("lvpruning", 0.5)],
    "mixed" => [null, Pruning("lvpruning", 0.5), Pruning("lvpruning", 0.7), Pruning("random", 0.5), Pruning("fastv", 0.3)],
    var m => throw new ArgumentException($"--mix {m}: none, lvpruning or mixed"),
};
using var http = new HttpClient { BaseAddress = new Uri(options["--url"]), Timeout = TimeSpan.FromMinutes(5) };

// Every request of the run: client c's k-th request asks item (c * perClient + k) with the pruning of its turn.
var plan = Enumerable.Range(0, clients).Select(c => Enumerable.Range(0, perClient).Select(k =>
{
    int n = c * perClient + k;
    return (Item: n % items.Count, Pruning: n % mix.Length);
}).ToList()).ToList();

// References: each distinct request asked alone, one at a time.
var reference = new Dictionary<(int, int), string>();
foreach (var key in plan.SelectMany(p => p).Distinct())
    reference[key] = (await Ask(key.Item, key.Pruning)).Text ?? throw new InvalidOperationException($"reference request {key} failed");

var ttft = new List<double>();
int ok = 0, wrong = 0, refused = 0, failed = 0;
long tokens = 0;
var gate = new object();
var clock = Stopwatch.StartNew();
await Task.WhenAll(plan.Select(requests => Task.Run(async () =>
{
    foreach (var (item, pruning) in requests)
    {
        var r = await Ask(item, pruning);
        lock (gate)
        {
            if (r.Status == 429) refused++;
            else if (r.Text is null) failed++;
            else
            {
                if (r.Text == reference[(item, pruning)]) ok++; else wrong++;
                ttft.Add(r.Ttft);
                tokens += r.Tokens;
            }
        }
    }
})));
double seconds = clock.Elapsed.TotalSeconds;
ttft.Sort();
double P(double q) => ttft.Count == 0 ? double.NaN : ttft[Math.Min(ttft.Count - 1, (int)Math.Ceiling(q * ttft.Count) - 1)];
var result = new JsonObject
{
    ["label"] = options.GetValueOrDefault("--label", ""),
    ["clients"] = clients, ["requests"] = clients * perClient, ["max_tokens"] = maxTokens, ["mix"] = options["--mix"],
    ["seconds"] = Math.Round(seconds, 3),
    ["requests_per_s"] = Math.Round((ok + wrong) / seconds, 2),
    ["tokens_per_s"] = Math.Round(tokens / seconds, 1),
    ["ttft_ms_p50"] = Math.Round(1000 * P(0.50), 1), ["ttft_ms_p95"] = Math.Round(1000 * P(0.95), 1), ["ttft_ms_p99"] = Math.Round(1000 * P(0.99), 1),
    ["correct"] = ok, ["wrong"] = wrong, ["refused_429"] = refused, ["failed"] = failed,
};
Console.WriteLine(result.ToJsonString());
return wrong == 0 && failed == 0 ? 0 : 1;

static JsonObject Pruning(string method, double rho) => new() { ["method"] = method, ["rho"] = rho };

// One streaming request: its text, generated tokens, time to the first content event, or its status on refusal.
async Task<(int Status, string? Text, int Tokens, double Ttft)> Ask(int item, int pruning)
{
    var lvprune = mix[pruning]?.DeepClone().AsObject() ?? new JsonObject();
    lvprune["ignore_eos"] = true;
    var body = new JsonObject
    {
        ["messages"] = new JsonArray(new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = items[item].Question },
                                        new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = items[item].Image } }),
        }),
        ["max_tokens"] = maxTokens, ["stream"] = true, ["stream_options"] = new JsonObject { ["include_usage"] = true }, ["lvprune"] = lvprune,
    };
    var started = Stopwatch.GetTimestamp();
    try
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK) return ((int)response.StatusCode, null, 0, 0);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var text = new StringBuilder();
        double first = double.NaN;
        int count = 0;
        bool done = false;
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            if (!line.StartsWith("data: ")) continue;
            if (line == "data: [DONE]") { done = true; break; }
            var chunk = JsonNode.Parse(line[6..])!;
            if (chunk["error"] is not null) return (500, null, 0, 0);
            if (chunk["usage"] is JsonObject usage) count = usage["completion_tokens"]!.GetValue<int>();
            if (chunk["choices"]?.AsArray() is { Count: > 0 } choices && choices[0]!["delta"]?["content"]?.GetValue<string>() is { Length: > 0 } content)
            {
                if (double.IsNaN(first)) first = Stopwatch.GetElapsedTime(started).TotalSeconds;
                text.Append(content);
            }
        }
        return done ? (200, text.ToString(), count, double.IsNaN(first) ? Stopwatch.GetElapsedTime(started).TotalSeconds : first) : (200, null, 0, 0);
    }
    catch (HttpRequestException)
    {
        return (0, null, 0, 0);
    }
}

static class Args
{
    public static Dictionary<string, string> Parse(string[] args)
    {
        var map = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2) map[args[i]] = args[i + 1];
        foreach (var required in new[] { "--url", "--data", "--clients", "--requests", "--mix", "--max-tokens" })
            if (!map.ContainsKey(required)) throw new ArgumentException($"missing {required}");
        return map;
    }
}
