using System.Text.Json;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Training;
using LVPrune.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Toy;

/// <summary>Settings of the toy vision tower's pretraining.</summary>
public sealed record VisionPretrainOptions
{
    public int Steps { get; init; } = 600;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 2e-3;
    public long Seed { get; init; } = 0;
}

/// <summary>
/// Stage 0 of the toy recipe, standing in for CLIP's pretraining (LLaVA starts from a vision encoder
/// that already sees): the toy CLIP tower learns to name, for every patch of the hidden state LLaVA
/// reads, the colour and the shape of the object covering it (or background), from the object
/// boxes ShapesVQA records. Dense labels (144 per image instead of one answer) make it learn in
/// minutes; the two linear heads are discarded afterwards and nothing else of the model changes.
/// </summary>
public static class VisionPretraining
{
    public const int Classes = 7; // background + 6 colours (or shapes)

    /// <summary>Colour and shape class (0 = background) of each patch of a <paramref name="grid"/>² grid, row-major.</summary>
    public static (long[] Color, long[] Shape) PatchLabels(JsonElement entry, int grid)
    {
        int size = entry.GetProperty("image_size").GetInt32();
        var color = new long[grid * grid];
        var shape = new long[grid * grid];
        foreach (var o in entry.GetProperty("objects").EnumerateArray())
        {
            var box = o.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray(); // left, top, right, bottom
            long c = 1 + Array.IndexOf(ShapesVqaVocabulary.ColorWords.ToArray(), o.GetProperty("color").GetString());
            long s = 1 + Array.IndexOf(ShapesVqaVocabulary.ShapeWords.ToArray(), o.GetProperty("shape").GetString());
            for (int gy = 0; gy < grid; gy++)
                for (int gx = 0; gx < grid; gx++)
                {
                    double x = (gx + 0.5) * size / grid, y = (gy + 0.5) * size / grid;
                    if (x >= box[0] && x < box[2] && y >= box[1] && y < box[3]) { color[gy * grid + gx] = c; shape[gy * grid + gx] = s; }
                }
        }
        return (color, shape);
    }

    /// <summary>Trains the vision tower layers LLaVA uses; returns the final patch accuracy (colour, shape) on the last batch.</summary>
    public static (double Color, double Shape) Run(LlavaForConditionalGeneration model, string dataJson, ImageProcessorConfig images, ResizeMode mode,
                                                   VisionPretrainOptions o, Action<int, double, double, double>? onStep = null)
    {
        var cfg = model.Config;
        int grid = cfg.VisionConfig.GridSize;
        var entries = new List<(string Image, (long[] Color, long[] Shape) Labels)>();
        var seen = new HashSet<string>();
        foreach (var s in ConversationDataset.Enumerate(dataJson, requireImages: true))
        {
            if (s.Image is null || s.Extra is not { } extra || !extra.TryGetProperty("objects", out _)) continue;
            string path = ConversationDataset.ResolveImagePath(dataJson, s);
            if (seen.Add(path)) entries.Add((path, PatchLabels(extra, grid)));
        }
        if (entries.Count == 0) throw new LVPruneException($"{dataJson}: no ShapesVQA entries with object boxes to pretrain the vision tower on");

        int D = cfg.VisionConfig.HiddenSize;
        using var colorHead = new Models.Linear(D, Classes, true, ScalarType.Float32);
        using var shapeHead = new Models.Linear(D, Classes, true, ScalarType.Float32);
        WeightInit.Initialize(colorHead, o.Seed, 0.02);
        WeightInit.Initialize(shapeHead, o.Seed + 1, 0.02);
        var tower = model.vision_tower.vision_model;
        var trainable = tower.named_parameters()
            .Where(p => !p.name.StartsWith("post_layernorm") && !IsUnusedLayer(p.name, cfg.VisionLayersToRun))
            .Select(p => (Name: "vision." + p.name, Param: p.parameter))
            .Concat(colorHead.named_parameters().Select(p => (Name: "color." + p.name, Param: p.parameter)))
            .Concat(shapeHead.named_parameters().Select(p => (Name: "shape." + p.name, Param: p.parameter))).ToList();
        foreach (var (_, p) in trainable) p.requires_grad = true;
        using var optimizer = new AdamW(trainable);
        var schedule = new LrSchedule(o.LearningRate, o.Steps, 0.03);
        var rng = new Random((int)o.Seed);
        (double, double) accuracy = (0, 0);
        for (int step = 0; step < o.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var chosen = Enumerable.Range(0, o.BatchSize).Select(_ => entries[rng.Next(entries.Count)]).ToList();
            var pixels = ClipPreprocessor.PreprocessBatch(chosen.Select(e => ImageIO.Load(e.Image)).ToList(), images, mode);
            var colorLabels = tensor(chosen.SelectMany(e => e.Labels.Color).ToArray());                       // [B*N]
            var shapeLabels = tensor(chosen.SelectMany(e => e.Labels.Shape).ToArray());
            var h = tower.HiddenState(pixels, cfg.VisionLayersToRun);                                        // [B, 1+N, D]
            var patches = h.narrow(1, 1, h.shape[1] - 1).reshape(-1, D);                                    // [B*N, D]
            var colorLogits = colorHead.forward(patches);
            var shapeLogits = shapeHead.forward(patches);
            var loss = nn.functional.cross_entropy(colorLogits, colorLabels) + nn.functional.cross_entropy(shapeLogits, shapeLabels);
            optimizer.ZeroGrad();
            loss.backward();
            Trainer.ClipGradients(trainable, 1.0);
            optimizer.Update(schedule.At(step));
            accuracy = (colorLogits.argmax(-1).eq(colorLabels).to(ScalarType.Float32).mean().ToDouble(),
                        shapeLogits.argmax(-1).eq(shapeLabels).to(ScalarType.Float32).mean().ToDouble());
            onStep?.Invoke(step + 1, loss.ToDouble(), accuracy.Item1, accuracy.Item2);
            NativeSafety.DrainFinalizers();
        }
        using (NewDisposeScope()) foreach (var (_, p) in trainable) p.grad?.Dispose();
        foreach (var (_, p) in trainable) p.requires_grad = false;
        return accuracy;
    }

    private static bool IsUnusedLayer(string name, int layersRun)
    {
        const string prefix = "encoder.layers.";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return false;
        int end = name.IndexOf('.', prefix.Length);
        return int.Parse(name[prefix.Length..end]) >= layersRun;
    }
}
