using System.Text.Json;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Training;
using LVPrune.Data;
using TorchSharp;
using static TorchSharp.torch;
using LVPrune.Toy;

namespace LVPrune.Recipes;

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
/// reads, the colour, shape and size of the object covering it (or background) and whether the
/// patch holds an object's centre, from the object boxes ShapesVQA records. Dense labels (144 per
/// image instead of one answer) make it learn in minutes; the linear heads are discarded afterwards
/// and nothing else of the model changes.
/// </summary>
public static class VisionPretraining
{
    /// <summary>Classes of each per-patch head: colour and shape (background + 6), size (background + 2), centre (no / yes).</summary>
    public static readonly int[] Classes = [7, 7, 3, 2];

    /// <summary>
    /// Per-patch labels of a <paramref name="grid"/>² grid, row-major, one array per head: colour,
    /// shape and size class of the object covering the patch centre (0 = background), and whether
    /// the patch holds an object's centre (one patch per object, which is what counting needs).
    /// </summary>
    public static long[][] PatchLabels(JsonElement entry, int grid)
    {
        int size = entry.GetProperty("image_size").GetInt32();
        var labels = Classes.Select(_ => new long[grid * grid]).ToArray();
        foreach (var o in entry.GetProperty("objects").EnumerateArray())
        {
            var box = o.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray(); // left, top, right, bottom
            var centre = o.GetProperty("center").EnumerateArray().Select(v => v.GetDouble()).ToArray(); // x, y
            long c = 1 + Array.IndexOf(ShapesVqaVocabulary.ColorWords.ToArray(), o.GetProperty("color").GetString());
            long s = 1 + Array.IndexOf(ShapesVqaVocabulary.ShapeWords.ToArray(), o.GetProperty("shape").GetString());
            long z = 1 + Array.IndexOf(ShapesVqaVocabulary.SizeWords.ToArray(), o.GetProperty("size").GetString());
            for (int gy = 0; gy < grid; gy++)
                for (int gx = 0; gx < grid; gx++)
                {
                    double x = (gx + 0.5) * size / grid, y = (gy + 0.5) * size / grid;
                    if (x >= box[0] && x < box[2] && y >= box[1] && y < box[3])
                    {
                        labels[0][gy * grid + gx] = c; labels[1][gy * grid + gx] = s; labels[2][gy * grid + gx] = z;
                    }
                }
            int cx = Math.Clamp((int)(centre[0] * grid / size), 0, grid - 1), cy = Math.Clamp((int)(centre[1] * grid / size), 0, grid - 1);
            labels[3][cy * grid + cx] = 1;
        }
        return labels;
    }

    /// <summary>
    /// Trains the vision tower layers LLaVA uses; returns the final accuracy (colour, shape) on the
    /// object patches of the last batch (background patches, the large majority, are left out so
    /// that the number says how well objects are seen).
    /// </summary>
    public static (double Color, double Shape) Run(LlavaForConditionalGeneration model, string dataJson, ImageProcessorConfig images, ResizeMode mode,
                                                   VisionPretrainOptions o, Action<int, double, double, double>? onStep = null)
    {
        var cfg = model.Config;
        int grid = cfg.VisionConfig.GridSize;
        var entries = new List<(string Image, long[][] Labels)>();
        var seen = new HashSet<string>();
        foreach (var s in ConversationDataset.Enumerate(dataJson, requireImages: true))
        {
            if (s.Image is null || s.Extra is not { } extra || !extra.TryGetProperty("objects", out _)) continue;
            string path = ConversationDataset.ResolveImagePath(dataJson, s);
            if (seen.Add(path)) entries.Add((path, PatchLabels(extra, grid)));
        }
        if (entries.Count == 0) throw new LVPruneException($"{dataJson}: no ShapesVQA entries with object boxes to pretrain the vision tower on");

        int D = cfg.VisionConfig.HiddenSize;
        var heads = Classes.Select((k, i) =>
        {
            var head = new Models.Linear(D, k, true, ScalarType.Float32);
            WeightInit.Initialize(head, o.Seed + i, 0.02);
            return head;
        }).ToArray();
        var tower = model.vision_tower.vision_model;
        var trainable = tower.named_parameters()
            .Where(p => !p.name.StartsWith("post_layernorm") && !IsUnusedLayer(p.name, cfg.VisionLayersToRun))
            .Select(p => (Name: "vision." + p.name, Param: p.parameter))
            .Concat(heads.SelectMany((h, i) => h.named_parameters().Select(p => (Name: $"head{i}." + p.name, Param: p.parameter)))).ToList();
        foreach (var (_, p) in trainable) p.requires_grad = true;
        using var optimizer = new AdamW(trainable);
        var schedule = new LrSchedule(o.LearningRate, o.Steps, 0.03);
        var rng = new Random((int)o.Seed);
        (double, double) accuracy = (0, 0);
        try
        {
            for (int step = 0; step < o.Steps; step++)
            {
                using var scope = NewDisposeScope();
                var chosen = Enumerable.Range(0, o.BatchSize).Select(_ => entries[rng.Next(entries.Count)]).ToList();
                var pixels = ClipPreprocessor.PreprocessBatch(chosen.Select(e => ImageIO.Load(e.Image)).ToList(), images, mode);
                var labels = Classes.Select((_, i) => tensor(chosen.SelectMany(e => e.Labels[i]).ToArray())).ToArray(); // each [B*N]
                var h = tower.HiddenState(pixels, cfg.VisionLayersToRun);                                             // [B, 1+N, D]
                var patches = h.narrow(1, 1, h.shape[1] - 1).reshape(-1, D);                                         // [B*N, D]
                var logits = heads.Select(head => head.forward(patches)).ToArray();                                  // each [B*N, classes]
                var loss = logits.Select((l, i) => nn.functional.cross_entropy(l, labels[i])).Aggregate((a, b) => a.Plus(b));
                optimizer.ZeroGrad();
                loss.backward();
                Trainer.ClipGradients(trainable, 1.0);
                optimizer.Update(schedule.At(step));
                var onObject = labels[0].ne(Scalars.Zero);
                double ObjectAccuracy(int i) => logits[i].argmax(-1).eq(labels[i]).masked_select(onObject).to(ScalarType.Float32).mean().ReadDouble();
                accuracy = (ObjectAccuracy(0), ObjectAccuracy(1));
                onStep?.Invoke(step + 1, loss.ReadDouble(), accuracy.Item1, accuracy.Item2);
                NativeSafety.DrainFinalizers();
            }
        }
        finally
        {
            using (NewDisposeScope()) foreach (var (_, p) in trainable) p.grad?.Dispose();
            foreach (var (_, p) in trainable) p.requires_grad = false;
            foreach (var head in heads) head.Dispose();
        }
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
