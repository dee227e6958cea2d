using System.CommandLine;
using LVPrune.Evaluation;
using LVPrune.Images;
using LVPrune.Pruning;
using LVPrune.Toy;
using LVPrune.Recipes;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune demo`: the bundled toy model answers questions about a fresh scene, with and without LVPruning.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var adapter = new Option<string>("--adapter") { Description = "LVPruning adapter (default on the bundled toy model: its bundled adapter; other models need it; 'none' to skip)" };
        var keep = PruningOptions.KeepOption();
        var rho = PruningOptions.RhoOption();
        var image = new Option<string>("--image") { Description = "ask about your own picture instead of a generated scene" };
        var question = new Option<string>("--question") { Description = "your question (with --image; default: every family's question on the scene)" };
        var seed = new Option<int>("--seed") { Description = "scene seed", DefaultValueFactory = _ => 2024 };
        var output = new Option<string>("--out") { Description = "folder for demo-scene.png and demo-pruning.png", DefaultValueFactory = _ => "." };
        var cmd = new Command("demo", "Ask the bundled toy model about a fresh scene, with and without LVPruning.") { adapter, keep, rho, image, question, seed, output };
        models.AddTo(cmd);
        cmd.SetAction(r =>
        {
            string modelDir = models.Dir(r);
            string? adapterPath = r.GetValue(adapter) is "none" ? null
                : r.GetValue(adapter) ?? CommonOptions.DefaultAdapter(modelDir) ?? throw new LVPruneException(CommonOptions.AdapterNeeded("demo") + " (or --adapter none)");
            string outDir = r.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            RgbImage picture;
            IReadOnlyList<(string Family, string Question, string? Truth)> questions;
            if (r.GetValue(image) is { } path)
            {
                picture = ImageIO.Load(path);
                questions = [("user", r.GetValue(question) ?? throw new LVPruneException("--image needs --question"), null)];
            }
            else
            {
                (picture, var generated) = ToyDemo.Scene(r.GetValue(seed));
                if (r.GetValue(question) is null) questions = generated;
                else questions = [("user", r.GetValue(question)!, null)];
                string scenePath = Path.Combine(outDir, "demo-scene.png");
                ImageIO.SavePng(picture, scenePath);
                CliIO.Out.WriteLine($"scene: {scenePath}");
            }
            using var pipeline = models.Load(r);
            using var attached = adapterPath is null ? null : LVPruningAdapter.Load(adapterPath, pipeline.Model);
            var spec = new PruningSpec { Method = PruningMethod.LVPruning, Keep = PruningOptions.Ratios(r.GetValue(keep), r.GetValue(rho)) };
            using var selector = attached is null ? null : (LVPruningSelector)SelectorFactory.Create(spec, pipeline.Model, attached)!;
            if (selector is not null)
                CliIO.Out.WriteLine($"LVPruning: {attached} -> keep {string.Join(" / ", selector.KeepCounts)} of {pipeline.Model.Config.ImageTokens} image tokens");
            else CliIO.Out.WriteLine("no LVPruning adapter found: answering without pruning");
            CliIO.Out.WriteLine();
            int correct = 0, correctPruned = 0, withTruth = 0;
            var answers = ToyDemo.Run(pipeline, picture, questions, selector, a =>
            {
                string mark(string text) => a.Truth is null ? "" : VqaScore.Accuracy(text, [a.Truth]) >= 1 ? " ok" : " WRONG";
                CliIO.Out.WriteLine($"[{a.Family}] {a.Question}" + (a.Truth is null ? "" : $"   (truth: {a.Truth})"));
                CliIO.Out.WriteLine($"    full     : {a.Full.Text,-10}{mark(a.Full.Text),-7} ttft {1000 * a.Full.PrefillSeconds,6:F1} ms  {a.FullTflops * 1e3,7:F3} GFLOPs");
                if (a.Pruned is { } p)
                    CliIO.Out.WriteLine($"    lvpruning: {p.Text,-10}{mark(p.Text),-7} ttft {1000 * p.PrefillSeconds,6:F1} ms  {a.PrunedTflops * 1e3,7:F3} GFLOPs  kept {string.Join(" -> ", p.Stages.Select(s => s.KeptImageTokens.Length))}");
                if (a.Truth is not null)
                {
                    withTruth++;
                    correct += VqaScore.Accuracy(a.Full.Text, [a.Truth]) >= 1 ? 1 : 0;
                    if (a.Pruned is { } pr) correctPruned += VqaScore.Accuracy(pr.Text, [a.Truth]) >= 1 ? 1 : 0;
                }
            });
            CliIO.Out.WriteLine();
            if (withTruth > 0)
                CliIO.Out.WriteLine($"correct: {correct}/{withTruth} without pruning" + (selector is null ? "" : $", {correctPruned}/{withTruth} with LVPruning"));
            if (selector is not null)
            {
                double full = answers.Average(a => a.Full.PrefillSeconds), pruned = answers.Average(a => a.Pruned!.PrefillSeconds);
                CliIO.Out.WriteLine($"time to first token: {1000 * full:F1} ms -> {1000 * pruned:F1} ms ({full / pruned:F2}x); " +
                                      $"prefill {1e3 * answers[0].FullTflops:F3} -> {1e3 * answers[0].PrunedTflops:F3} GFLOPs");
                string pic = Path.Combine(outDir, "demo-pruning.png");
                ToyDemo.SavePruningPicture(pic, pipeline, picture, answers);
                CliIO.Out.WriteLine($"kept patches per stage: {pic}");
            }
            return 0;
        });
        return cmd;
    }
}
