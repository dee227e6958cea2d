using System.CommandLine;
using LVPrune.Benchmarks.Report;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune report`: the paper's Tables 1 and 2 (Markdown) and a chart (PNG) from score files.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var scores = new Option<string>("--scores") { Description = "folder of score files (score --json / eval --json outputs), one per benchmark and configuration", Required = true };
        var output = new Option<string>("--out") { Description = "Markdown file to write (the chart goes beside it as .png); default: print the Markdown, chart in the scores folder" };
        var title = new Option<string>("--title") { Description = "title of the tables and the chart", DefaultValueFactory = _ => "LVPruning on the paper's benchmarks" };
        var cmd = new Command("report", "Lay score files out as the paper's Tables 1 and 2, with differences to no pruning, and draw them.") { scores, output, title };
        cmd.SetAction(r =>
        {
            var table = BenchmarkTable.Load(r.GetValue(scores)!);
            string markdown = table.Markdown(r.GetValue(title));
            string png = r.GetValue(output) is { } md ? Path.ChangeExtension(md, ".png") : Path.Combine(r.GetValue(scores)!, "table.png");
            BenchmarkChart.Save(png, table, r.GetValue(title)!);
            if (r.GetValue(output) is { } path) { AtomicFile.WriteAllText(path, markdown); CliIO.Err.WriteLine($"wrote {path} and {png}"); }
            else { CliIO.Out.Write(markdown); CliIO.Err.WriteLine($"wrote {png}"); }
            return 0;
        });
        return cmd;
    }
}
