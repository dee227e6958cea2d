using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LVPrune.Benchmarks.Report;

/// <summary>One configuration's row: its label, cost and scores (percent) per column.</summary>
public sealed record TableRow(string Key, string Label, string? ModelId, string Method, IReadOnlyList<double>? Keep, double? Tflops, Dictionary<string, double> Scores)
{
    public bool IsBase => Method == "none";
}

/// <summary>
/// The paper's Tables 1 and 2 from score files (`score --json` / `eval --json` outputs, one per benchmark
/// and configuration): rows are configurations (model, method, keep ratios) with their TFLOPs (FLOPs
/// model, 1 image + 30 text tokens as the paper counts), columns are benchmarks (POPE by split as the
/// paper shows it), every pruned cell with its difference to the unpruned row of the same model.
/// </summary>
public sealed class BenchmarkTable
{
    /// <summary>Table 1's columns: the VQA benchmarks.</summary>
    public static readonly (string Column, string Title)[] Table1 =
        [("vqav2", "VQAv2"), ("gqa", "GQA"), ("vizwiz", "VizWiz"), ("sqa", "SQA-IMG"), ("textvqa", "TextVQA")];

    /// <summary>Table 2's columns: POPE by split (F1), MMBench en / cn, LLaVA-W, MM-Vet.</summary>
    public static readonly (string Column, string Title)[] Table2 =
        [("pope/random", "POPE rand"), ("pope/popular", "POPE pop"), ("pope/adversarial", "POPE adv"), ("mmbench", "MMBench en"), ("mmbench-cn", "MMBench cn"), ("llava-bench", "LLaVA-W"), ("mmvet", "MM-Vet")];

    private BenchmarkTable(List<TableRow> rows) => Rows = rows;

    public IReadOnlyList<TableRow> Rows { get; }

    public static BenchmarkTable Load(string scoresDir)
    {
        if (!Directory.Exists(scoresDir)) throw new LVPruneException($"--scores {scoresDir}: folder not found");
        var files = Directory.GetFiles(scoresDir, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new LVPruneException($"--scores {scoresDir}: no score files (*.json from `score --json` or `eval --json`)");
        var rows = new Dictionary<string, TableRow>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            var score = ScoreReport.Load(file);
            string benchmark = score["benchmark"]!.GetValue<string>();
            var config = score["config"] as JsonObject;
            string method = config?["method"]?.GetValue<string>() ?? "unknown";
            string? model = config?["model_id"]?.GetValue<string>();
            var keep = config?["keep_ratios"] is JsonArray k ? k.Select(x => x!.GetValue<double>()).ToArray() : null;
            string key = $"{model}|{method}|{(keep is null ? "" : string.Join(",", keep.Select(v => v.ToString("R", CultureInfo.InvariantCulture))))}";
            if (!rows.TryGetValue(key, out var row))
                rows[key] = row = new TableRow(key, Label(model, method, keep), model, method, keep, null, []);
            if (config?["tflops"] is JsonValue t && row.Tflops is null) rows[key] = row = row with { Tflops = t.GetValue<double>() };
            if (benchmark == "pope" && score["splits"] is JsonObject splits)
                foreach (var (split, metrics) in splits) Put(row, $"pope/{split}", metrics!["f1"]!.GetValue<double>(), file);
            else Put(row, benchmark, score["accuracy"]!.GetValue<double>(), file);
        }
        var ordered = rows.Values.OrderBy(r => r.ModelId, StringComparer.Ordinal).ThenBy(r => r.IsBase ? 0 : 1)
                                 .ThenBy(r => r.Method, StringComparer.Ordinal).ThenByDescending(r => r.Keep?.FirstOrDefault() ?? 0).ToList();
        return new BenchmarkTable(ordered);
    }

    private static void Put(TableRow row, string column, double fraction, string file)
    {
        if (row.Scores.ContainsKey(column)) throw new LVPruneException($"{file}: a second {column} score for {row.Label}; keep one score file per benchmark and configuration");
        row.Scores[column] = 100 * fraction;
    }

    private static string Label(string? model, string method, IReadOnlyList<double>? keep)
    {
        string name = method switch
        {
            "none" => model ?? "no pruning",
            "lvpruning" => "LVPruning",
            "random" => "random",
            "fastv" => "FastV",
            _ => method,
        };
        if (keep is null) return name;
        bool paperSchedule = keep.Count == 3 && Math.Abs(keep[1] - (keep[0] - 0.2)) < 1e-9 && Math.Abs(keep[2] - (keep[0] - 0.4)) < 1e-9;
        string k = paperSchedule ? $"ρ={keep[0].ToString("0.###", CultureInfo.InvariantCulture)}" : $"keep {string.Join("/", keep.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)))}";
        return $"{name} ({k})";
    }

    /// <summary>The unpruned row of the same model, or null.</summary>
    public TableRow? BaseOf(TableRow row) => Rows.FirstOrDefault(r => r.IsBase && r.ModelId == row.ModelId);

    /// <summary>Tables 1 and 2 as Markdown, columns without any score left out.</summary>
    public string Markdown(string? title = null)
    {
        var sb = new StringBuilder();
        if (title is not null) sb.AppendLine($"### {title}").AppendLine();
        AppendTable(sb, "Table 1: VQA benchmarks", Table1, withTflops: true);
        sb.AppendLine();
        AppendTable(sb, "Table 2: instruction-following benchmarks", Table2, withTflops: false);
        sb.AppendLine().AppendLine("Scores in %, each as the benchmark's official script computes it (POPE: F1 per split; MMBench: circular accuracy on dev; LLaVA-W: relative score); "
                                   + "in brackets the difference to the unpruned row; TFLOPs of one prefill with 1 image and 30 text tokens (FLOPs model).");
        return sb.ToString();
    }

    private void AppendTable(StringBuilder sb, string caption, (string Column, string Title)[] columns, bool withTflops)
    {
        var present = columns.Where(c => Rows.Any(r => r.Scores.ContainsKey(c.Column))).ToList();
        if (present.Count == 0) return;
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine($"**{caption}**").AppendLine();
        sb.Append("| method |").Append(withTflops ? " TFLOPs |" : "").AppendJoin("", present.Select(c => $" {c.Title} |")).AppendLine();
        sb.Append("|---|").Append(withTflops ? "---|" : "").AppendJoin("", present.Select(_ => "---|")).AppendLine();
        foreach (var row in Rows)
        {
            var b = row.IsBase ? null : BaseOf(row);
            sb.Append($"| {row.Label} |");
            if (withTflops)
            {
                string t = row.Tflops is { } tf ? tf.ToString(tf < 0.1 ? "0.####" : "F2", inv) : "–";
                if (row.Tflops is { } x && b?.Tflops is { } y && y > 0) t += string.Create(inv, $" ({100 * (x / y - 1):+0.0;−0.0;0}%)");
                sb.Append($" {t} |");
            }
            foreach (var (column, _) in present)
            {
                if (!row.Scores.TryGetValue(column, out double v)) { sb.Append(" – |"); continue; }
                string cell = v.ToString("F1", inv);
                if (b is not null && b.Scores.TryGetValue(column, out double bv))
                    cell += $" ({Diff(Math.Round(v, 1) - Math.Round(bv, 1))})";
                sb.Append($" {cell} |");
            }
            sb.AppendLine();
        }
    }

    private static string Diff(double d) => Math.Abs(d) < 0.05 ? "+0" : d.ToString("+0.0;−0.0", CultureInfo.InvariantCulture);
}
