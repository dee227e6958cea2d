#:project ../src/LVPrune/LVPrune.csproj
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=true
// Speed of two builds of the library in ONE process, interleaved: each build's LVPrune.dll is loaded into
// its own AssemblyLoadContext (TorchSharp and the rest shared), and `bench`'s own suite (BenchSuite.Run:
// no pruning and LVPruning at rho 0.5 on a preset with random weights) runs alternately on each, many
// times. Both builds see the same process, threads and machine load; the minimum over the alternations
// is the steadier figure on a shared machine (other work only adds time).
//
//   dotnet run -c Release scripts/speed-ab.cs -- BEFORE_DIR AFTER_DIR [ROUNDS] [PRESET] [DTYPES]
// BEFORE_DIR / AFTER_DIR hold LVPrune.dll (a published CLI folder). PRESET toy (default) or llava-1.5-7b.
using System.Reflection;
using System.Runtime.Loader;

string beforeDir = Path.GetFullPath(args[0]), afterDir = Path.GetFullPath(args[1]);
int rounds = args.Length > 2 ? int.Parse(args[2]) : 10;
string preset = args.Length > 3 ? args[3] : "toy";
string[] dtypes = (args.Length > 4 ? args[4] : "fp32,bf16").Split(',');

var builds = new[] { new Build("before", beforeDir, preset), new Build("after", afterDir, preset) };
foreach (var dtype in dtypes)
{
    var samples = builds.ToDictionary(b => b.Name, _ => new Dictionary<string, List<(double Ttft, double Decode)>>());
    // One model in memory at a time (the 7B preset needs ~16 GB), built afresh for every run.
    for (int round = 0; round < rounds; round++)
        for (int i = 0; i < builds.Length; i++)
        {
            int k = round % 2 == 0 ? i : builds.Length - 1 - i; // alternate who goes first
            using (var model = (IDisposable)builds[k].CreateModel(dtype))
                foreach (var (method, ttft, decode) in builds[k].Run(model))
                {
                    if (!samples[builds[k].Name].TryGetValue(method, out var list)) samples[builds[k].Name][method] = list = [];
                    list.Add((ttft, decode));
                }
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    foreach (var method in samples["before"].Keys)
    {
        var b = samples["before"][method]; var a = samples["after"][method];
        double Min(List<(double, double)> s, int i) => s.Min(x => i == 0 ? x.Item1 : x.Item2);
        double Med(List<(double, double)> s, int i) { var v = s.Select(x => i == 0 ? x.Item1 : x.Item2).Order().ToArray(); return v[v.Length / 2]; }
        Console.WriteLine($"{preset} {dtype,-5} {method,-10} TTFT min {1000 * Min(b, 0),8:F2} -> {1000 * Min(a, 0),8:F2} ms ({Min(a, 0) / Min(b, 0):F3}x), median {Med(a, 0) / Med(b, 0):F3}x;"
                          + $"  decode min {Min(b, 1),7:F3} -> {Min(a, 1),7:F3} ms/token ({Min(a, 1) / Min(b, 1):F3}x), median {Med(a, 1) / Med(b, 1):F3}x  [{b.Count}+{a.Count} runs]");
    }
}

/// <summary>One build of LVPrune.dll in its own load context; everything else comes from the default one.</summary>
sealed class Build
{
    public string Name { get; }
    private readonly Assembly _lib;
    private readonly string _preset;

    public Build(string name, string dir, string preset)
    {
        Name = name;
        _preset = preset;
        var context = new Isolated(Path.Combine(dir, "LVPrune.dll"));
        _lib = context.LoadFromAssemblyPath(Path.Combine(dir, "LVPrune.dll"));
    }

    private Type T(string name) => _lib.GetType(name, throwOnError: true)!;

    private static object? Call(Type type, string method, params object?[] args)
    {
        var candidates = type.GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name == method && m.GetParameters().Length >= args.Length).ToList();
        foreach (var m in candidates)
        {
            var ps = m.GetParameters();
            if (ps.Skip(args.Length).Any(p => !p.HasDefaultValue)) continue;
            var full = args.Concat(ps.Skip(args.Length).Select(p => p.DefaultValue)).ToArray();
            return m.Invoke(null, full);
        }
        throw new MissingMethodException($"{type.Name}.{method}");
    }

    public object CreateModel(string dtype)
    {
        // The preset config: ModelPresets.ByName (after the redesign) or BenchModels.Preset (before it).
        var presets = _lib.GetType("LVPrune.Checkpoints.ModelPresets");
        var config = presets is not null ? Call(presets, "ByName", _preset) : Call(T("LVPrune.Benchmarking.BenchModels"), "Preset", _preset);
        var scalar = dtype == "bf16" ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32;
        return Call(T("LVPrune.Benchmarking.BenchModels"), "Random", config, scalar, 0L)!;
    }

    /// <summary>BenchSuite.Run with no pruning and LVPruning at rho 0.5 (random modules): 3 timed runs each after a warm-up.</summary>
    public IEnumerable<(string Method, double Ttft, double Decode)> Run(object model)
    {
        var methodType = T("LVPrune.Pruning.PruningMethod");
        var methods = Array.CreateInstance(methodType, 1);
        methods.SetValue(Enum.Parse(methodType, "LVPruning"), 0);
        var listType = typeof(List<>).MakeGenericType(methodType);
        var list = Activator.CreateInstance(listType, methods)!;
        var budgets = new List<double[]> { new[] { 0.5, 0.3, 0.1 } };
        var runs = (System.Collections.IEnumerable)Call(T("LVPrune.Benchmarking.BenchSuite"), "Run", model, list, budgets, null, 2, null, 30, 16, 3, (Action<string>)(_ => { }))!;
        foreach (var run in runs)
        {
            var t = run.GetType();
            yield return ((string)t.GetProperty("Method")!.GetValue(run)!, (double)t.GetProperty("TtftS")!.GetValue(run)!, (double)t.GetProperty("DecodeMsPerToken")!.GetValue(run)!);
        }
    }

    private sealed class Isolated(string path) : AssemblyLoadContext(isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name) =>
            name.Name == "LVPrune" ? LoadFromAssemblyPath(path) : null; // everything else: the default context
    }
}
