using System.Reflection;
using System.Reflection.Emit;

namespace LVPrune.Tests.Architecture;

/// <summary>
/// The library's folders depend one way (README, "Layout"): each folder may use only folders of a lower
/// level. Checked on the compiled library, so fully qualified names, static calls and lambdas count
/// as much as using directives: every type's base, interfaces, fields, signatures, locals and every
/// member its method bodies touch (read from the IL).
/// </summary>
public class FolderDependencyTests
{
    /// <summary>The levels of README's layout section: bytes -> config + tensors -> weight formats -> kernels -> modules -> pruning ->
    /// generation/training -> evaluation/benchmarking -> the paper's benchmarks, app-level recipes and serving.</summary>
    private static readonly Dictionary<string, int> Level = new()
    {
        ["(root)"] = 0,                                                     // exceptions, atomic files, native safety
        ["Checkpoints"] = 1, ["Images"] = 1, ["Text"] = 1, ["Data"] = 1, ["Toy"] = 1, ["Py"] = 1, // bytes, configs, data generators, Python semantics
        ["Distributed"] = 1,                                                // the MPI binding: processes and collectives
        ["Quantization"] = 2,                                               // int8/int4 weight formats and checkpoints
        ["Kernels"] = 3,                                                    // CPU features, GEMM/GEMV/attention kernels
        ["Models"] = 4,
        ["Pruning"] = 5,
        ["Flops"] = 6,
        ["Generation"] = 7, ["Training"] = 7,
        ["Evaluation"] = 8, ["Benchmarking"] = 8,
        ["Recipes"] = 9, ["Benchmarks"] = 9, ["Serving"] = 9,             // app level (LVPrune.Server and the CLI are assemblies above)
    };

    [Fact]
    public void EveryFolder_UsesOnlyLowerLevels()
    {
        var graph = FolderGraph(typeof(LVPruneException).Assembly);
        var unknown = graph.Keys.Concat(graph.Values.SelectMany(v => v)).Where(f => !Level.ContainsKey(f)).Distinct().ToList();
        Assert.True(unknown.Count == 0, $"folders without a level in README's layout: {string.Join(", ", unknown)}");
        var upward = graph.SelectMany(kv => kv.Value.Where(to => Level[to] >= Level[kv.Key]).Select(to => $"{kv.Key} -> {to}")).Order().ToList();
        Assert.True(upward.Count == 0, "dependencies against the layout:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void TheGraph_IsAcyclic_AndSeesRealEdges()
    {
        var graph = FolderGraph(typeof(LVPruneException).Assembly);
        // The scan must find what is certainly there, or a silent scanner would pass everything.
        Assert.Contains("Checkpoints", graph["Models"]);
        Assert.Contains("Models", graph["Pruning"]);
        Assert.Contains("Kernels", graph["Models"]);
        Assert.Contains("Quantization", graph["Kernels"]);
        Assert.Contains("Pruning", graph["Flops"]);
        Assert.Contains("Evaluation", graph["Benchmarks"]); // the one copy of the VQA normalisation tables
        Assert.Contains("Generation", graph["Serving"]);   // serving decodes through GenerationSession
        var state = new Dictionary<string, int>();
        bool Cyclic(string node)
        {
            if (state.GetValueOrDefault(node) == 1) return true;
            if (state.GetValueOrDefault(node) == 2) return false;
            state[node] = 1;
            if (graph.GetValueOrDefault(node, []).Any(Cyclic)) return true;
            state[node] = 2;
            return false;
        }
        Assert.DoesNotContain(graph.Keys, Cyclic);
    }

    [Fact]
    public void EverySourceFile_DeclaresTheNamespaceOfItsFolder()
    {
        string src = Path.Combine(RepoRoot(), "src", "LVPrune");
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(src, Path.GetDirectoryName(file)!);
            if (rel.StartsWith("obj") || rel.StartsWith("bin")) continue;
            string expected = rel == "." ? "namespace LVPrune;" : $"namespace LVPrune.{rel.Replace(Path.DirectorySeparatorChar, '.')};";
            if (!File.ReadLines(file).Any(l => l == expected)) wrong.Add($"{Path.GetRelativePath(src, file)} (expected '{expected}')");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LVPrune.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root (LVPrune.slnx) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Folder -> folders its types use (self-edges left out).</summary>
    public static Dictionary<string, HashSet<string>> FolderGraph(Assembly assembly)
    {
        var graph = new Dictionary<string, HashSet<string>>();
        foreach (var type in assembly.GetTypes())
        {
            string from = Folder(type);
            if (!graph.TryGetValue(from, out var edges)) graph[from] = edges = [];
            foreach (var used in UsedTypes(type))
                if (used.Assembly == assembly && Folder(used) is var to && to != from) edges.Add(to);
        }
        return graph;
    }

    private static string Folder(Type t)
    {
        string ns = t.Namespace ?? "";
        if (ns == "LVPrune" || !ns.StartsWith("LVPrune.", StringComparison.Ordinal)) return "(root)";
        return ns["LVPrune.".Length..].Split('.')[0];
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<Type> UsedTypes(Type type)
    {
        var found = new List<Type?> { type.BaseType };
        found.AddRange(type.GetInterfaces());
        found.AddRange(type.GetFields(All).Select(f => f.FieldType));
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi) found.Add(mi.ReturnType);
            found.AddRange(m.GetParameters().Select(p => p.ParameterType));
            var body = m.GetMethodBody();
            if (body is null) continue;
            found.AddRange(body.LocalVariables.Select(l => l.LocalType));
            found.AddRange(ILReferences(m, body.GetILAsByteArray() ?? []));
        }
        return found.Where(t => t is not null).SelectMany(t => Expand(t!));
    }

    /// <summary>A type with its element and generic argument types.</summary>
    private static IEnumerable<Type> Expand(Type t)
    {
        if (t.HasElementType) { foreach (var e in Expand(t.GetElementType()!)) yield return e; yield break; }
        if (t.IsGenericParameter) yield break;
        yield return t;
        if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) foreach (var e in Expand(a)) yield return e;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue =
        typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The declaring types of every field, method and type token in an IL body.</summary>
    private static IEnumerable<Type?> ILReferences(MethodBase method, byte[] il)
    {
        var module = method.Module;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var result = new List<Type?>();
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    int token = BitConverter.ToInt32(il, i);
                    var member = module.ResolveMember(token, typeArgs, methodArgs);
                    result.Add(member as Type ?? member?.DeclaringType);
                    if (member is MethodInfo { IsGenericMethod: true } gm) result.AddRange(gm.GetGenericArguments());
                    if (member is MethodBase mb) result.AddRange(mb.GetParameters().Select(p => p.ParameterType));
                    if (member is FieldInfo fi) result.Add(fi.FieldType);
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + 4 * BitConverter.ToInt32(il, i);
                    break;
                default:
                    i += op.OperandType switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        _ => 4,
                    };
                    break;
            }
        }
        return result;
    }
}
