using LVPrune.Checkpoints;
using LVPrune.Distributed;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Text;
using LVPrune.Toy;
using static TorchSharp.torch;
using LVPrune.Training;

namespace LVPrune.Recipes;

/// <summary>Data settings of a training run.</summary>
public sealed record DataOptions
{
    public required string DataPath { get; init; }
    /// <summary>null = the model's prompt_config.json.</summary>
    public PromptTemplate? Template { get; init; }
    /// <summary>null = the model's prompt_config.json.</summary>
    public ImagePosition? ImagePosition { get; init; }
    public ResizeMode ImageMode { get; init; } = ResizeMode.PadToSquare;
    public int MaxLength { get; init; } = 2048;
    public int? Limit { get; init; }
}

/// <summary>
/// The two training jobs `lvprune train` runs: a whole model (the toy model from scratch, or a
/// base model's parts) written as a llava-hf folder, and an LVPruning adapter on a frozen base.
/// Under mpirun every process runs the same job data-parallel (<see cref="Trainer"/>); rank 0 alone
/// writes files, the others read what it wrote after a barrier (folders on a shared file system).
/// </summary>
public static class TrainingRun
{
    /// <summary>Trains the parameters under <paramref name="trainPrefixes"/> and writes the model to <paramref name="outDir"/>.</summary>
    /// <param name="modelDir">base folder, or null with <paramref name="initToy"/> to start the toy model from scratch</param>
    public static void TrainModel(string? modelDir, bool initToy, string outDir, string checkpointDir, DataOptions data, TrainerOptions options,
                                  IReadOnlyList<string>? trainPrefixes, bool resume, string? dtype, CancellationToken cancel,
                                  Action<TrainStepLog>? onStep, TextWriter log, VisionPretrainOptions? pretrainVision = null,
                                  RemovalAugmentation? removal = null, IProcessGroup? group = null)
    {
        group ??= SingleProcess.Instance;
        if (!group.IsRoot) log = TextWriter.Null;
        removal?.Validate();
        Trainer.LocalRows(options.BatchSize, group.Size);
        string source;
        if (initToy)
        {
            source = Path.Combine(checkpointDir, "skeleton");
            if (!resume && group.IsRoot) { Directory.CreateDirectory(checkpointDir); ToyModel.WriteSkeleton(source); }
            group.Barrier(); // the skeleton is written
            if (resume && !Directory.Exists(source)) throw new LVPruneException($"{checkpointDir}: no toy skeleton to resume from");
        }
        else source = modelDir ?? throw new LVPruneException("--model DIR is required (or --init-toy to start the toy model from scratch)");

        LlavaForConditionalGeneration model;
        string pretrained = Path.Combine(checkpointDir, "vision-pretrained");
        bool pretraining = initToy && !resume && pretrainVision is { Steps: > 0 };
        if (pretraining && !group.IsRoot)
        {
            group.Barrier(); // stage 0 runs on rank 0 alone; the others load what it wrote
            model = ModelLoader.Load(pretrained, WeightDType.Resolve(dtype, LlavaConfig.Load(pretrained)), null, log);
            model.SetTrainable(true);
        }
        else if (initToy && resume && File.Exists(Path.Combine(pretrained, "model.safetensors")))
        {
            // Stage 0's result is part of the skeleton a resume restarts from; trained weights come from the checkpoint.
            model = ModelLoader.Load(pretrained, WeightDType.Resolve(dtype, LlavaConfig.Load(pretrained)), null, log);
            model.SetTrainable(true);
        }
        else if (initToy)
        {
            // Fresh, or a resume without stage 0: the same seeded initialisation either way.
            var config = LlavaConfig.Load(source);
            model = new LlavaForConditionalGeneration(config, WeightDType.Resolve(dtype, config));
            WeightInit.Initialize(model, options.Seed, std: 0.02);
            if (!resume && pretrainVision is { Steps: > 0 } pv)
            {
                log.WriteLine($"stage 0: pretraining the vision tower on patch colours, shapes, sizes and object centres ({pv.Steps} steps)");
                var (c, s) = VisionPretraining.Run(model, data.DataPath, ImageProcessorConfig.Load(source, model.Config.VisionConfig.ImageSize), data.ImageMode, pv,
                    (step, loss, ca, sa) => { if (step % 25 == 0 || step == pv.Steps) log.WriteLine($"  vision step {step}/{pv.Steps}: loss {loss:F4}, object-patch accuracy colour {ca:P1} shape {sa:P1}"); });
                log.WriteLine($"stage 0 done: object-patch accuracy colour {c:P1}, shape {s:P1}");
                ModelLoader.Save(model, pretrained);
                group.Barrier();
            }
        }
        else model = ModelLoader.Load(source, WeightDType.Resolve(dtype, LlavaConfig.Load(source)), null, log);
        using var _ = model;
        var tokenizer = LlavaTokenizer.Load(source);
        var prompt = Prompt(source, data);
        if (initToy && !resume && group.IsRoot) prompt.Save(source);
        var set = TrainingSet.Load(data.DataPath, source, model.Config, tokenizer, prompt, data.ImageMode, data.MaxLength, data.Limit);
        log.WriteLine($"training {set.Count} samples ({set.SkippedTextOnly} text-only skipped), {Trainer.TotalSteps(set.Count, options)} steps");
        if (options.MaxSteps == 0)
        {
            model.SetTrainable(false);
            if (group.IsRoot) WriteModelFolder(model, source, outDir);
            log.WriteLine($"--max-steps 0: wrote {outDir} without language-model training");
            return;
        }
        using var removalAdapter = removal is { Enabled: true, AdapterPath: { } ap } ? LVPruningAdapter.Load(ap, model) : null;
        if (removal is { Enabled: true }) log.WriteLine($"vision-token {removal}");
        var objective = new LanguageModelObjective(model, trainPrefixes, removal, removalAdapter, options.Seed);
        // Each checkpoint also exports the current weights as a loadable model (CHECKPOINT/latest-model).
        Trainer.Run(objective, set, options, checkpointDir, resume, cancel, onStep, log,
                    _ => WriteModelFolder(model, source, Path.Combine(checkpointDir, "latest-model")), group: group);
        model.SetTrainable(false);
        if (group.IsRoot) WriteModelFolder(model, source, outDir);
        log.WriteLine($"wrote {outDir}");
    }

    /// <summary>Trains an LVPruning adapter on the frozen base in <paramref name="modelDir"/> and writes it to <paramref name="adapterOut"/>.</summary>
    public static void TrainAdapter(string modelDir, string adapterOut, string checkpointDir, DataOptions data, TrainerOptions options,
                                    IReadOnlyList<double> keep, IReadOnlyList<int>? layers, DecisionModuleConfig? module, LVPruningLossOptions loss,
                                    bool resume, string? dtype, CancellationToken cancel, Action<TrainStepLog>? onStep, TextWriter log,
                                    IProcessGroup? group = null)
    {
        group ??= SingleProcess.Instance;
        if (!group.IsRoot) log = TextWriter.Null;
        loss.Validate();
        Trainer.LocalRows(options.BatchSize, group.Size);
        using var model = ModelLoader.Load(modelDir, WeightDType.Resolve(dtype, LlavaConfig.Load(modelDir)), null, log);
        var tokenizer = LlavaTokenizer.Load(modelDir);
        using var adapter = LVPruningAdapter.Create(model, keep, layers, module, options.Seed);
        log.WriteLine(adapter.ToString());
        var set = TrainingSet.Load(data.DataPath, modelDir, model.Config, tokenizer, Prompt(modelDir, data), data.ImageMode, data.MaxLength, data.Limit);
        log.WriteLine($"training {set.Count} samples ({set.SkippedTextOnly} text-only skipped), {Trainer.TotalSteps(set.Count, options)} steps");
        var objective = new LVPruningObjective(model, adapter, keep, loss, options.Seed);
        Trainer.Run(objective, set, options, checkpointDir, resume, cancel, onStep, log, group: group);
        if (group.IsRoot) adapter.Save(adapterOut);
        log.WriteLine($"wrote {adapterOut}");
    }

    /// <summary>The model's prompt layout, overridden by the command line's choices.</summary>
    private static PromptConfig Prompt(string modelDir, DataOptions data)
    {
        var saved = PromptConfig.Load(modelDir);
        return new PromptConfig
        {
            Template = data.Template is { } t ? Prompts.Name(t) : saved.Template,
            Position = data.ImagePosition is { } p ? PromptConfig.Name(p) : saved.Position,
        };
    }

    /// <summary>Weights, config.json, tokenizer and preprocessor files of <paramref name="sourceDir"/> into <paramref name="outDir"/>,
    /// assembled in a temporary folder and moved into place, so a failure never leaves a half-written model.</summary>
    public static void WriteModelFolder(LlavaForConditionalGeneration model, string sourceDir, string outDir)
    {
        string full = Path.GetFullPath(outDir);
        string tmp = full.TrimEnd(Path.DirectorySeparatorChar) + $".tmp-{Environment.ProcessId}";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        foreach (var name in new[] { "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "tokenizer.json", "preprocessor_config.json", "generation_config.json", PromptConfig.FileName })
            if (File.Exists(Path.Combine(sourceDir, name))) File.Copy(Path.Combine(sourceDir, name), Path.Combine(tmp, name));
        ModelLoader.Save(model, tmp);
        if (Directory.Exists(full))
        {
            string old = full.TrimEnd(Path.DirectorySeparatorChar) + $".old-{Environment.ProcessId}";
            Directory.Move(full, old);
            Directory.Move(tmp, full);
            Directory.Delete(old, true);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            Directory.Move(tmp, full);
        }
    }
}
