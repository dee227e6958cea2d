using System.CommandLine;
using LVPrune.Distributed;
using LVPrune.Images;
using LVPrune.Pruning;
using LVPrune.Text;
using LVPrune.Training;
using static TorchSharp.torch;
using LVPrune.Recipes;

namespace LVPrune.Cli.Commands;

/// <summary>
/// `lvprune train`: trains a model (the toy model from scratch with --init-toy, or parts of a base)
/// into --out, or an LVPruning adapter on a frozen base into --adapter-out. Under `mpirun -np N` the
/// processes train data-parallel (--batch-size stays the global batch); rank 0 alone logs and writes.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "base model folder" };
        var initToy = new Option<bool>("--init-toy") { Description = "start the toy architecture from random weights (with its own tokenizer)" };
        var pretrainVision = new Option<int>("--pretrain-vision-steps") { Description = "with --init-toy: first pretrain the vision tower on ShapesVQA patch labels for N steps", DefaultValueFactory = _ => 0 };
        var data = new Option<string>("--data") { Description = "training data: LLaVA conversation JSON", Required = true };
        var output = new Option<string>("--out") { Description = "model folder to write (model training)" };
        var adapterOut = new Option<string>("--adapter-out") { Description = "adapter file to write (LVPruning training)" };
        var ckpt = new Option<string>("--checkpoint-dir") { Description = "where resumable checkpoints and train_log.jsonl go (default: OUT.ckpt)" };
        var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint in --checkpoint-dir" };
        var train = new Option<string>("--train") { Description = "model training: parameters to train, comma-separated prefixes (all, vision_tower, multi_modal_projector, language_model)", DefaultValueFactory = _ => "all" };
        var batch = new Option<int>("--batch-size") { Description = "samples per micro-batch (under mpirun: the global micro-batch, split evenly over the processes)", DefaultValueFactory = _ => 16 };
        var accum = new Option<int>("--grad-accum") { Description = "micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { Description = "peak learning rate (the paper's 2e-6 is for a 7B model at batch 64)", DefaultValueFactory = _ => 2e-5 };
        var warmup = new Option<double>("--warmup-ratio") { Description = "share of steps for linear warm-up", DefaultValueFactory = _ => 0.03 };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW decoupled weight decay", DefaultValueFactory = _ => 0.0 };
        var clip = new Option<double>("--clip-norm") { Description = "gradient-norm clip (0 = off)", DefaultValueFactory = _ => 1.0 };
        var epochs = new Option<int>("--epochs") { Description = "passes over the data", DefaultValueFactory = _ => 1 };
        var maxSteps = new Option<long?>("--max-steps") { Description = "stop after N optimizer steps" };
        var saveEvery = new Option<int>("--save-every") { Description = "checkpoint every N steps", DefaultValueFactory = _ => 200 };
        var seed = new Option<long>("--seed") { Description = "seed of initialisation, data order and Gumbel noise", DefaultValueFactory = _ => 0 };
        var maxLength = new Option<int>("--max-length") { Description = "truncate sequences to this many tokens (after image expansion of one token)", DefaultValueFactory = _ => 2048 };
        var template = new Option<string>("--template") { Description = "prompt template (default: the model's prompt_config.json, else llava-hf)" }.AcceptOnlyFromAmong("llava-hf", "llava-v1");
        var imagePosition = new Option<string>("--image-position") { Description = "first: <image> before the question (LLaVA-1.5); last: after it (default: the model's prompt_config.json, else first)" }.AcceptOnlyFromAmong("first", "last");
        var imageMode = new Option<string>("--image-mode") { Description = "pad (original LLaVA-1.5) or crop (llava-hf processor)", DefaultValueFactory = _ => "pad" }.AcceptOnlyFromAmong("pad", "crop");
        var limit = CommonOptions.Limit("use only the first N samples");
        var dtype = CommonOptions.DType();
        var keep = PruningOptions.KeepOption();
        var rho = PruningOptions.RhoOption();
        var layers = new Option<string>("--layers") { Description = "adapter: 0-based decoder layers after which modules run (default: after the first, 1/4 and 1/2)" };
        var blocks = new Option<int>("--module-blocks") { Description = "adapter: cross-attention blocks per module", DefaultValueFactory = _ => 2 };
        var heads = new Option<int>("--module-heads") { Description = "adapter: heads per block", DefaultValueFactory = _ => 8 };
        var lambdaCausal = new Option<double>("--lambda-causal") { Description = "weight of the language-model loss", DefaultValueFactory = _ => 1.0 };
        var lambdaRatio = new Option<double>("--lambda-ratio") { Description = "weight of the keep-ratio loss", DefaultValueFactory = _ => 2.0 };
        var tau = new Option<double>("--gumbel-tau") { Description = "Gumbel-softmax temperature", DefaultValueFactory = _ => 1.0 };
        var huber = new Option<bool>("--huber") { Description = "Huber (beta 0.5) ratio loss instead of MSE" };
        var distill = new Option<double>("--lambda-distill") { Description = "adapter: weight of a distillation term keeping the answer rows' hidden states as unpruned (DynamicViT's; 0 = the paper)", DefaultValueFactory = _ => 0 };
        var attn = new Option<double>("--lambda-attn") { Description = "adapter: weight of a term teaching each module to rank image tokens as the unpruned model's answer rows attend to them (0 = the paper)", DefaultValueFactory = _ => 0 };
        var maskClip = new Option<double>("--mask-grad-clip") { Description = "adapter: bound per sample on each keep decision's language-model gradient |dL/dD| (0 = off, the paper)", DefaultValueFactory = _ => 0 };
        var removalShare = new Option<double>("--removal-share") { Description = "model training: share of steps run with vision tokens removed after the pruning layers (0 = never)", DefaultValueFactory = _ => 0 };
        var removalRho = new Option<string>("--removal-rho") { Description = "model training: range MIN-MAX of the budget rho of removal steps (keep rho, rho-0.2, rho-0.4)", DefaultValueFactory = _ => "0.4-0.7" };
        var removalAdapter = new Option<string>("--removal-adapter") { Description = "model training: an adapter of the base whose choice of tokens half the removal steps use (the rest random)" };
        var cmd = new Command("train", "Train a model (or the toy model from scratch) or an LVPruning adapter on a frozen base.")
        {
            model, initToy, pretrainVision, data, output, adapterOut, ckpt, resume, train, batch, accum, lr, warmup, wd, clip, epochs, maxSteps,
            saveEvery, seed, maxLength, template, imagePosition, imageMode, limit, dtype, keep, rho, layers, blocks, heads, lambdaCausal, lambdaRatio, tau, huber,
            distill, attn, maskClip, removalShare, removalRho, removalAdapter,
        };
        cmd.SetAction(r =>
        {
            var options = new TrainerOptions
            {
                BatchSize = r.GetValue(batch), GradAccum = r.GetValue(accum), LearningRate = r.GetValue(lr), WarmupRatio = r.GetValue(warmup),
                WeightDecay = r.GetValue(wd), ClipNorm = r.GetValue(clip), Epochs = r.GetValue(epochs), MaxSteps = r.GetValue(maxSteps),
                SaveEvery = r.GetValue(saveEvery), Seed = r.GetValue(seed),
            };
            options.Validate();
            var dataOptions = new DataOptions
            {
                DataPath = r.GetValue(data)!, Template = r.GetValue(template) is { } t ? Prompts.Parse(t) : null,
                ImagePosition = r.GetValue(imagePosition) is { } ip ? PromptConfig.ParsePosition(ip) : null,
                ImageMode = r.GetValue(imageMode) == "crop" ? ResizeMode.ShortSideCenterCrop : ResizeMode.PadToSquare,
                MaxLength = r.GetValue(maxLength), Limit = r.GetValue(limit),
            };
            var scalar = r.GetValue(dtype);
            string? outDir = r.GetValue(output), adapterPath = r.GetValue(adapterOut);
            if ((outDir is null) == (adapterPath is null)) throw new LVPruneException("give --out DIR (train a model) or --adapter-out FILE (train an LVPruning adapter)");
            string checkpointDir = r.GetValue(ckpt) ?? (outDir ?? adapterPath!).TrimEnd('/') + ".ckpt";
            var group = ProcessGroup.World;
            return ProcessGroup.RunOrAbort(group, () => Train(r, group, options, dataOptions, scalar, outDir, adapterPath, checkpointDir), CliIO.Err, CliApp.ExitCode);
        });
        return cmd;

        int Train(ParseResult r, IProcessGroup group, TrainerOptions options, DataOptions dataOptions, string? scalar, string? outDir, string? adapterPath, string checkpointDir)
        {
            Trainer.LocalRows(options.BatchSize, group.Size);
            if (group.Size > 1) CliIO.Err.WriteLine($"{group.Name}: {group.Library}"); // maps a launcher's pid to our rank
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler handler = (_, e) => { e.Cancel = true; cancel.Cancel(); if (group.IsRoot) CliIO.Err.WriteLine("\nstopping after this step (writing a checkpoint)..."); };
            Console.CancelKeyPress += handler;
            var progress = new TrainProgress(lineMode: group.Size > 1);
            Action<TrainStepLog>? report = group.IsRoot ? progress.Report : null;
            var log = group.IsRoot ? CliIO.Err : TextWriter.Null;
            try
            {
                if (adapterPath is not null)
                {
                    if (r.GetValue(removalShare) > 0 || r.GetValue(removalAdapter) is not null)
                        throw new LVPruneException("--removal-share and --removal-adapter apply to model training (--out), not to adapter training (--adapter-out)");
                    var ratios = PruningOptions.Ratios(r.GetValue(keep), r.GetValue(rho)) ?? KeepRatios.FromRho(0.5);
                    var layerList = r.GetValue(layers) is { } l ? ParseLayers(l) : null;
                    TrainingRun.TrainAdapter(r.GetValue(model) ?? throw new LVPruneException("--model DIR (the frozen base) is required with --adapter-out"),
                        adapterPath, checkpointDir, dataOptions, options, ratios, layerList, null, new LVPruningLossOptions
                        {
                            LambdaCausal = r.GetValue(lambdaCausal), LambdaRatio = r.GetValue(lambdaRatio), GumbelTau = r.GetValue(tau), Huber = r.GetValue(huber),
                            LambdaDistill = r.GetValue(distill), LambdaAttn = r.GetValue(attn), MaskGradClip = r.GetValue(maskClip),
                        }, r.GetValue(resume), scalar, cancel.Token, report, log, group);
                }
                else
                {
                    if (r.GetValue(distill) != 0 || r.GetValue(attn) != 0 || r.GetValue(maskClip) != 0)
                        throw new LVPruneException("--lambda-distill, --lambda-attn and --mask-grad-clip apply to adapter training (--adapter-out), not to model training (--out)");
                    var (rhoMin, rhoMax) = RemovalAugmentation.ParseRange(r.GetValue(removalRho)!);
                    var removal = new RemovalAugmentation { Share = r.GetValue(removalShare), RhoMin = rhoMin, RhoMax = rhoMax, AdapterPath = r.GetValue(removalAdapter) };
                    var prefixes = r.GetValue(train)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    TrainingRun.TrainModel(r.GetValue(model), r.GetValue(initToy), outDir!, checkpointDir, dataOptions, options, prefixes,
                                           r.GetValue(resume), scalar, cancel.Token, report, log,
                                           new VisionPretrainOptions { Steps = r.GetValue(pretrainVision), Seed = options.Seed, BatchSize = Math.Max(8, options.BatchSize) },
                                           removal, group);
                }
            }
            finally { Console.CancelKeyPress -= handler; progress.Done(); }
            return 0;
        }
    }

    private static int[] ParseLayers(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries).Select(s => int.TryParse(s, out int v) ? v : throw new LVPruneException($"--layers: '{s}' is not a layer index")).ToArray();
}
