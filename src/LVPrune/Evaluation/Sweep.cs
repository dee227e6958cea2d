using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LVPrune.Flops;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;

namespace LVPrune.Evaluation;

/// <summary>One method at one budget: its accuracy and its cost.</summary>
public sealed record SweepRow
{
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("rho")] public double? Rho { get; init; }
    /// <summary>Kept fraction of the image tokens after each stage (FastV: its one share).</summary>
    [JsonPropertyName("keep")] public double[]? Keep { get; init; }
    [JsonPropertyName("report")] public required EvalReport Report { get; init; }
    [JsonPropertyName("tflops")] public required double Tflops { get; init; }
    /// <summary>Relative FLOPs reduction against no pruning.</summary>
    [JsonPropertyName("reduction")] public required double Reduction { get; init; }
    /// <summary>Median time to first token of single questions (batch 1), milliseconds.</summary>
    [JsonPropertyName("ttft_ms")] public required double TtftMs { get; init; }
}

/// <summary>
/// Evaluates every method at every budget on one data set: none once; lvpruning and random with
/// keep [R, R-0.2, R-0.4] at each R on the adapter's stages; FastV with the kept share that
/// matches LVPruning's TFLOPs at that R (so each comparison is at equal cost). Selectors come from
/// the one <see cref="SelectorFactory"/>.
/// </summary>
public static class Sweep
{
    public static List<SweepRow> Run(LlavaPipeline pipeline, IReadOnlyList<EvalItem> items, IReadOnlyList<PruningMethod> methods,
                                     IReadOnlyList<double> rhos, LVPruningAdapter? adapter, int fastvK, int batchSize, long seed, Action<string> log)
    {
        var model = pipeline.Model;
        int textTokens = (int)Math.Round(items.Average(i => pipeline.Tokenizer.Encode(pipeline.PromptFor(i.Question)).Length - 1.0));
        var layers = adapter?.Layers.ToArray() ?? KeepRatios.DefaultLayers(model.Decoder.LayerCount);
        var shape = FlopsShape.From(model.Config, layers, adapter?.ModuleConfig);
        double full = FlopsModel.Compute(shape, textTokens).TotalTflops;
        var rows = new List<SweepRow>();

        SweepRow Evaluate(string name, double? rho, double[]? keep, ITokenSelector? selector, double tflops)
        {
            log($"{name}{(rho is null ? "" : $" rho {rho}")}{(keep is null ? "" : $" keep [{string.Join(", ", keep)}]")}: {items.Count} questions...");
            var run = EvalRunner.Run(pipeline, items, selector, batchSize);
            var row = new SweepRow
            {
                Method = name, Rho = rho, Keep = keep, Report = run.Report, Tflops = tflops, Reduction = 1 - tflops / full,
                TtftMs = 1000 * Latency(pipeline, items, selector),
            };
            log(string.Create(CultureInfo.InvariantCulture, $"  accuracy {100 * row.Report.Accuracy:F2}%, {tflops * 1e3:F4} GFLOPs ({100 * row.Reduction:F1}% less), ttft {row.TtftMs:F1} ms"));
            return row;
        }

        if (methods.Contains(PruningMethod.None)) rows.Add(Evaluate("none", null, null, null, full));
        foreach (double rho in rhos)
        {
            var keep = KeepRatios.FromRho(rho, layers.Length);
            double lvTflops = FlopsModel.Compute(shape, textTokens, keep).TotalTflops;
            foreach (var method in methods.Where(m => m != PruningMethod.None))
            {
                if (method == PruningMethod.LVPruning && adapter is null)
                    throw new LVPruneException("--methods lvpruning needs an adapter (--adapter FILE, or the bundled one beside the bundled model)");
                var spec = new PruningSpec { Method = method, Keep = keep, Seed = seed, FastVK = fastvK };
                double[] rowKeep = keep;
                double tflops = FlopsModel.Compute(shape, textTokens, keep, decisionModules: method == PruningMethod.LVPruning).TotalTflops;
                if (method == PruningMethod.FastV)
                {
                    double share = FastVBudget.MatchShare(shape, textTokens, fastvK, lvTflops);
                    spec = spec with { Keep = null, FastVShare = share };
                    rowKeep = [Math.Round(share, 4)];
                    tflops = FastVBudget.Tflops(shape, textTokens, fastvK, share);
                }
                using var selector = SelectorFactory.Create(spec, model, adapter);
                rows.Add(Evaluate(spec.MethodName, rho, rowKeep, selector, tflops));
            }
        }
        return rows;
    }

    /// <summary>Median time to first token of single questions (batch 1) over a few items, after a warm-up.</summary>
    private static double Latency(LlavaPipeline pipeline, IReadOnlyList<EvalItem> items, ITokenSelector? selector, int count = 8)
    {
        var options = new GenerationOptions { MaxNewTokens = 1 };
        var times = new List<double>();
        for (int i = 0; i <= Math.Min(count, items.Count); i++)
        {
            var item = items[i % items.Count];
            var answer = pipeline.Generate([ImageIO.Load(item.ImagePath)], [pipeline.PromptFor(item.Question)], options, selector)[0];
            if (i > 0) times.Add(answer.PrefillSeconds); // the first is a warm-up
        }
        return Statistics.Median(times);
    }

    /// <summary>results.json, results.md and tradeoff.png in <paramref name="outDir"/>.</summary>
    public static void Write(string outDir, IReadOnlyList<SweepRow> rows, string title)
    {
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.WriteAllText(Path.Combine(outDir, "results.md"), Markdown(rows, title));
        TradeoffPlot.Save(Path.Combine(outDir, "tradeoff.png"), rows, title);
    }

    public static string Markdown(IReadOnlyList<SweepRow> rows, string title)
    {
        var families = rows.SelectMany(r => r.Report.Families.Keys).Distinct().OrderBy(f => f, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine($"### {title}").AppendLine();
        sb.AppendLine($"| method | rho | keep | accuracy | {string.Join(" | ", families)} | POPE F1 | GFLOPs | reduction | TTFT ms |");
        sb.AppendLine($"|---|---|---|---|{string.Concat(families.Select(_ => "---|"))}---|---|---|---|");
        foreach (var r in rows)
        {
            string keep = r.Keep is null ? "-" : string.Join(" / ", r.Keep.Select(k => k.ToString("0.###", inv)));
            string fam = string.Join(" | ", families.Select(f => r.Report.Families.TryGetValue(f, out var a) ? (100 * a).ToString("F1", inv) : "-"));
            sb.AppendLine(string.Create(inv,
                $"| {r.Method} | {(r.Rho is null ? "-" : r.Rho.Value.ToString("0.##", inv))} | {keep} | **{100 * r.Report.Accuracy:F1}** | {fam} | {(r.Report.Pope is { } p ? (100 * p.F1).ToString("F1", inv) : "-")} | {1e3 * r.Tflops:F4} | {100 * r.Reduction:F1}% | {r.TtftMs:F1} |"));
        }
        sb.AppendLine().AppendLine($"{rows.FirstOrDefault()?.Report.Count ?? 0} questions per row. Accuracy in %, official VQA answer normalisation; POPE F1 over the yes/no questions; GFLOPs of one prefill by the FLOPs model (Flops/FlopsModel.cs); TTFT: median time to first token of single questions on this machine.");
        return sb.ToString();
    }
}
