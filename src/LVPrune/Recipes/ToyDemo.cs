using LVPrune.Flops;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Toy;

namespace LVPrune.Recipes;

/// <summary>One question of the demo, answered without and (when an adapter is attached) with pruning.</summary>
public sealed record DemoAnswer(string Family, string Question, string? Truth, Answer Full, Answer? Pruned, double FullTflops, double? PrunedTflops);

/// <summary>
/// The demo behind `lvprune demo`: a fresh ShapesVQA scene (or the user's image and question),
/// one question per family, each answered by the unpruned model and, with an adapter, by
/// LVPruning, with time to first token, TFLOPs and a picture of the patches each stage kept.
/// </summary>
public static class ToyDemo
{
    public static (RgbImage Image, IReadOnlyList<(string Family, string Question, string? Truth)> Questions) Scene(int seed)
    {
        var generator = new ShapesVqaGenerator(seed, 3, 6);
        var scene = generator.NextScene();
        using var bitmap = SceneRenderer.Render(scene);
        var image = ImageIO.FromSKBitmap(bitmap);
        var questions = generator.Ask(scene, QuestionFamily.All.Count).Select(q => (q.Family, q.Question, (string?)q.Answer)).ToList();
        return (image, questions);
    }

    public static IReadOnlyList<DemoAnswer> Run(LlavaPipeline pipeline, RgbImage image, IReadOnlyList<(string Family, string Question, string? Truth)> questions,
                                                LVPruningSelector? selector, Action<DemoAnswer>? onAnswer = null)
    {
        var options = new GenerationOptions { MaxNewTokens = 16 };
        var answers = new List<DemoAnswer>();
        var config = pipeline.Model.Config;
        // Warm up the kernels once so the first question's timing is not the JIT's.
        pipeline.Generate([image], [pipeline.PromptFor(questions[0].Question)], options with { MaxNewTokens = 1 }, selector);
        foreach (var (family, question, truth) in questions)
        {
            string prompt = pipeline.PromptFor(question);
            var full = pipeline.Generate([image], [prompt], options)[0];
            int text = Math.Max(1, full.PromptTokens - 1);
            double fullTflops = FlopsModel.Compute(FlopsShape.From(config), text).TotalTflops;
            Answer? pruned = null;
            double? prunedTflops = null;
            if (selector is not null)
            {
                pruned = pipeline.Generate([image], [prompt], options, selector)[0];
                prunedTflops = FlopsModel.Compute(FlopsShape.From(config, selector.Layers), text, selector.Keep).TotalTflops;
            }
            var answer = new DemoAnswer(family, question, truth, full, pruned, fullTflops, prunedTflops);
            answers.Add(answer);
            onAnswer?.Invoke(answer);
        }
        return answers;
    }

    /// <summary>One row per question: the image as the model saw it, then the patches kept after each stage.</summary>
    public static void SavePruningPicture(string path, LlavaPipeline pipeline, RgbImage image, IReadOnlyList<DemoAnswer> answers)
    {
        var input = ClipPreprocessor.PrepareImage(image, pipeline.ImageConfig, pipeline.ImageMode);
        var rows = answers.Where(a => a.Pruned is not null).Select(a =>
        {
            var panels = new List<(string, IReadOnlyCollection<int>?)> { ("input", null) };
            panels.AddRange(a.Pruned!.Stages.Select(s => ($"after layer {s.AfterLayer}: {s.KeptImageTokens.Length}", (IReadOnlyCollection<int>?)s.KeptImageTokens)));
            return ((string?)$"{a.Question}  ->  {a.Pruned.Text}", (IReadOnlyList<(string, IReadOnlyCollection<int>?)>)panels);
        }).ToList();
        if (rows.Count > 0) PruningOverlay.SaveRows(path, input, pipeline.Model.Config.VisionConfig.GridSize, rows);
    }
}
