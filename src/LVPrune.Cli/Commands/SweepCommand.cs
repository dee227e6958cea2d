using System.CommandLine;
using System.Globalization;
using LVPrune.Evaluation;
using LVPrune.Pruning;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune sweep`: accuracy against cost for every method at every budget.</summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var adapter = new Option<string>("--adapter") { Description = "LVPruning adapter (default on the bundled toy model: its bundled adapter; other models need it for --methods lvpruning)" };
        var data = new Option<string>("--data") { Description = "evaluation data (LLaVA conversation JSON with images)", Required = true };
        var methods = new Option<string>("--methods") { Description = "comma-separated: none, lvpruning, random, fastv", DefaultValueFactory = _ => "none,lvpruning,random,fastv" };
        var rho = new Option<string>("--rho") { Description = "comma-separated budgets R (keep [R, R-0.2, R-0.4])", DefaultValueFactory = _ => "0.6,0.5,0.45" };
        var output = new Option<string>("--out") { Description = "folder for results.json, results.md, tradeoff.png", Required = true };
        var limit = CommonOptions.Limit("evaluate only the first N questions");
        var batch = new Option<int>("--batch-size") { Description = "questions answered together", DefaultValueFactory = _ => 32 };
        var fastvK = new Option<int>("--fastv-k") { Description = "FastV's K", DefaultValueFactory = _ => 2 };
        var seed = new Option<long>("--prune-seed") { Description = "seed of random selection", DefaultValueFactory = _ => 0 };
        var title = new Option<string>("--title") { Description = "title of the table and plot", DefaultValueFactory = _ => "Accuracy against prefill cost" };
        var cmd = new Command("sweep", "Evaluate every pruning method at every budget; write results.json, results.md and tradeoff.png.")
        {
            adapter, data, methods, rho, output, limit, batch, fastvK, seed, title,
        };
        models.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var methodList = PruningMethods.ParseList(r.GetValue(methods)!, "--methods");
            var rhos = r.GetValue(rho)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && v <= 1 ? v : throw new LVPruneException($"--rho: '{s}' is not a budget in (0, 1]")).ToList();
            var items = EvalItem.Load(r.GetValue(data)!, r.GetValue(limit));
            string? adapterPath = r.GetValue(adapter) ?? CommonOptions.DefaultAdapter(models.Dir(r));
            if (adapterPath is null && methodList.Contains(PruningMethod.LVPruning))
                throw new LVPruneException(CommonOptions.AdapterNeeded("--methods lvpruning"));
            using var pipeline = models.Load(r);
            using var attached = adapterPath is null ? null : LVPruningAdapter.Load(adapterPath, pipeline.Model);
            var rows = Sweep.Run(pipeline, items, methodList, rhos, attached, r.GetValue(fastvK), r.GetValue(batch), r.GetValue(seed), s => CliIO.Err.WriteLine(s));
            Sweep.Write(r.GetValue(output)!, rows, r.GetValue(title)!);
            CliIO.Out.Write(Sweep.Markdown(rows, r.GetValue(title)!));
            return 0;
        });
        return cmd;
    }
}
