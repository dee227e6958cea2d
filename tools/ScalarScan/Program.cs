using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

// Lists every place in a C# source tree that makes a TorchSharp Scalar nobody disposes: a number turned
// into a Scalar implicitly (x * 0.5, x.clamp_min(1e-12)), and calls that make one inside TorchSharp 0.107
// (x + y and add_(t) pass an implicit alpha, ToDouble/ToInt64/ToBoolean read through a Scalar,
// arange(a, b) makes its step, addcdiv without a value). Such Scalars are freed by the finalizer thread
// while LibTorch runs (LVPrune.NativeSafety). Exit code 1 when it finds any.
//
//   dotnet run --project tools/ScalarScan -c Release -- SOURCE_DIR
if (args.Length != 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: ScalarScan SOURCE_DIR");
    return 2;
}
string src = Path.GetFullPath(args[0]);
var parse = new CSharpParseOptions(LanguageVersion.Preview);
var trees = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
    .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
    .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, path: f)).ToList();
trees.Add(CSharpSyntaxTree.ParseText(string.Concat(new[] { "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading", "System.Threading.Tasks", "System.Net.Http" }
    .Select(n => $"global using global::{n};\n")), parse, path: "implicit-usings.cs"));
// The runtime's assemblies and the library's dependencies, which this tool's build output holds.
var references = Directory.EnumerateFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll")
    .Concat(Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll").Where(f => !Path.GetFileName(f).StartsWith("LVPrune", StringComparison.Ordinal)))
    .Where(IsAssembly).GroupBy(Path.GetFileName).Select(g => MetadataReference.CreateFromFile(g.First())).ToList();
var compilation = CSharpCompilation.Create("scan", trees, references,
    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
// Source-generated partial methods (regexes) have no body here: that error does not hide anything this scan reads.
foreach (var e in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795").Take(5))
    Console.Error.WriteLine($"warning: the scan's compilation reports {e}");

string[] reads = ["ToDouble", "ToInt64", "ToBoolean", "ToSingle", "ToInt32", "ToScalar"];
int found = 0;
foreach (var tree in trees)
{
    var model = compilation.GetSemanticModel(tree);
    var seen = new HashSet<IOperation>();
    foreach (var body in tree.GetRoot().DescendantNodes().SelectMany(Bodies))
        if (model.GetOperation(body) is { } root)
            foreach (var op in root.DescendantsAndSelf())
                if (seen.Add(op) && Why(op) is { } why)
                {
                    var line = tree.GetLineSpan(op.Syntax.Span).StartLinePosition.Line + 1;
                    Console.WriteLine($"{Path.GetRelativePath(src, tree.FilePath)}:{line}: {why}: {op.Syntax.ToString().Split('\n')[0].Trim()}");
                    found++;
                }
}
Console.Error.WriteLine($"{found} implicit Scalar{(found == 1 ? "" : "s")} in {src}");
return found == 0 ? 0 : 1;

static bool IsAssembly(string path)
{
    try { System.Reflection.AssemblyName.GetAssemblyName(path); return true; }
    catch (BadImageFormatException) { return false; }
}

// Everything that holds code: member bodies, expression bodies, property and field initializers.
static IEnumerable<SyntaxNode> Bodies(SyntaxNode n) => n switch
{
    BaseMethodDeclarationSyntax m => new SyntaxNode?[] { m.Body, m.ExpressionBody }.OfType<SyntaxNode>(),
    AccessorDeclarationSyntax a => new SyntaxNode?[] { a.Body, a.ExpressionBody }.OfType<SyntaxNode>(),
    PropertyDeclarationSyntax p => new SyntaxNode?[] { p.ExpressionBody, p.Initializer }.OfType<SyntaxNode>(),
    VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } v => new SyntaxNode?[] { v.Initializer }.OfType<SyntaxNode>(),
    _ => [],
};

static bool IsNumber(ITypeSymbol t) => t.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Single or SpecialType.System_Double;

string? Why(IOperation op)
{
    switch (op)
    {
        case IConversionOperation { IsImplicit: true } c when c.Type?.ToDisplayString() == "TorchSharp.Scalar" && c.Operand.Type?.ToDisplayString() != "TorchSharp.Scalar":
            return $"a {c.Operand.Type} turned into a Scalar";
        case IArgumentOperation a when a.Parameter?.Type.Name == "Scalar" && a.Value.Type?.Name != "Scalar" && a.Value is not IConversionOperation:
            return $"a {a.Value.Type} passed as a Scalar";
        case IBinaryOperation { OperatorMethod: { } m } b when m.ContainingType.Name == "Tensor" && m.Parameters.Length == 2:
            if (m.Parameters.Any(p => IsNumber(p.Type))) return $"operator {b.OperatorKind} with a number (TorchSharp makes the Scalar)";
            if (b.OperatorKind == BinaryOperatorKind.Add) return "operator + (add with an implicit alpha of 1)";
            if (b.OperatorKind == BinaryOperatorKind.Subtract && m.Parameters[0].Type.Name != "Tensor") return "Scalar - tensor (an add with an implicit alpha)";
            if ((m.Parameters[0].Type.Name == "Scalar" && b.LeftOperand.Type?.Name != "Scalar") || (m.Parameters[1].Type.Name == "Scalar" && b.RightOperand.Type?.Name != "Scalar"))
                return $"operator {b.OperatorKind} with an implicit Scalar";
            return null;
        case IInvocationOperation i when i.TargetMethod.ContainingType.ToDisplayString() is "TorchSharp.torch.Tensor" or "TorchSharp.TensorExtensionMethods" or "TorchSharp.torch":
            var name = i.TargetMethod.Name;
            int own = i.TargetMethod.IsStatic ? 1 : 0;
            if (name is "add" or "add_" && i.Arguments.Length == 1 + own) return $"{name} without an alpha (TorchSharp passes 1 as a Scalar)";
            if (name is "addcdiv" or "addcdiv_" && i.Arguments.Length == 2 + own) return $"{name} without a value (TorchSharp passes 1 as a Scalar)";
            if (reads.Contains(name) && i.TargetMethod.ContainingType.Name == "TensorExtensionMethods") return $"{name} reads through a Scalar";
            if (name == "arange" && i.TargetMethod.Parameters.All(p => p.Name != "step")) return "arange without a step (TorchSharp passes 1 as a Scalar)";
            return null;
        default:
            return null;
    }
}
