#:project ../src/LVPrune/LVPrune.csproj
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=true
// The soak run behind scripts/soak.sh: many decode steps, then many adapter-training steps, in one
// process on the bundled toy model, recording resident memory as it goes. A TorchSharp object left to
// the finalizer thread can crash a long run natively (LVPrune.NativeSafety); a leak shows as a slope.
//
//   dotnet run scripts/soak.cs -- OUT_DIR [DECODE_STEPS] [TRAIN_STEPS]
//
// Writes OUT_DIR/soak.csv (phase, step, seconds, rss_mb, managed_mb, gen2_collections) and prints a summary.
using System.Diagnostics;
using System.Globalization;
using LVPrune;
using LVPrune.Benchmarking;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Text;
using LVPrune.Toy;
using LVPrune.Training;
using static TorchSharp.torch;

string outDir = Path.GetFullPath(args.Length > 0 ? args[0] : "soak-out");
int decodeSteps = args.Length > 1 ? int.Parse(args[1]) : 10_000;
int trainSteps = args.Length > 2 ? int.Parse(args[2]) : 3_000;
string repo = Path.GetFullPath(Path.Combine(AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory(), ".."));
string modelDir = Path.Combine(repo, "assets", "toy-llava");
Directory.CreateDirectory(outDir);
HugePages.Enable();

var csv = new StreamWriter(Path.Combine(outDir, "soak.csv")) { AutoFlush = true };
csv.WriteLine("phase,step,seconds,rss_mb,managed_mb,gen2_collections");
var clock = Stopwatch.StartNew();
var samples = new List<(string Phase, long Step, double Rss, double Seconds)>();
void Sample(string phase, long step)
{
    double rss = ProcessMemory.CurrentGb * 1000;
    samples.Add((phase, step, rss, clock.Elapsed.TotalSeconds));
    csv.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{phase},{step},{clock.Elapsed.TotalSeconds:F1},{rss:F1},{GC.GetTotalMemory(false) / 1e6:F1},{GC.CollectionCount(2)}"));
}

// Questions and images the steps run on: a fresh ShapesVQA set.
string data = Path.Combine(outDir, "data");
ShapesVqaWriter.Write(data, count: 400, seed: 20260, minObjects: 1, maxObjects: 6);
var items = LVPrune.Evaluation.EvalItem.Load(Path.Combine(data, ShapesVqaWriter.DataFileName), 64);

// Phase 1: decode steps. Sessions of 500 new tokens (not stopping at EOS), cycling through the pruning
// methods, fp32 and bf16 (the bf16 GEMV and decode-attention kernels), greedy and sampled, batches of 1-4.
Console.WriteLine($"decode: {decodeSteps} steps");
Sample("decode", 0);
{
    using var fp32 = ModelLoader.Load(modelDir, ScalarType.Float32);
    using var bf16 = ModelLoader.Load(modelDir, ScalarType.BFloat16);
    using var adapter32 = LVPruningAdapter.Load(Path.Combine(modelDir, "lvpruning.safetensors"), fp32);
    using var adapter16 = LVPruningAdapter.Load(Path.Combine(modelDir, "lvpruning.safetensors"), bf16);
    var pipelines = new[] { new LlavaPipeline(fp32, modelDir), new LlavaPipeline(bf16, modelDir) };
    var methods = Enum.GetValues<PruningMethod>();
    long done = 0, nextSample = 250;
    for (int session = 0; done < decodeSteps; session++)
    {
        var pipeline = pipelines[session % 2];
        var model = pipeline.Model;
        int rows = 1 + session % 4;
        var chosen = Enumerable.Range(0, rows).Select(r => items[(session * 4 + r) % items.Count]).ToList();
        var ids = chosen.Select(i => (IReadOnlyList<long>)pipeline.Tokenizer.Encode(pipeline.PromptFor(i.Question)).Select(t => (long)t).ToArray()).ToList();
        using var batch = LlavaBatch.FromTokens(ids, pipeline.Pixels(chosen.Select(i => ImageIO.Load(i.ImagePath)).ToList()),
                                                model.Config.ImageTokenIndex, model.Config.ImageTokens, model.Config.PadTokenId ?? 0);
        var spec = new PruningSpec { Method = methods[(session / 2) % methods.Length], Seed = session };
        using var selector = SelectorFactory.Create(spec, model, session % 2 == 0 ? adapter32 : adapter16);
        var options = new GenerationOptions { MaxNewTokens = (int)Math.Min(500, decodeSteps - done + 1), StopAtEos = false,
                                              Temperature = session % 3 == 0 ? 0.8 : 0, TopP = 0.9, Seed = session };
        using var generation = new GenerationSession(model, batch, options, pipeline.Tokenizer.EosId);
        generation.Prefill(selector);
        while (generation.Step())
            if (++done >= nextSample) { Sample("decode", done); nextSample += 250; }
    }
    Sample("decode", done);
}

// Phase 2: adapter-training steps on the frozen base, every option on (the teacher pass with its
// attention probe, both distillations, the mask-gradient tap), checkpoints every 500 steps.
Console.WriteLine($"train: {trainSteps} adapter steps");
{
    using var model = ModelLoader.Load(modelDir, ScalarType.Float32);
    var set = TrainingSet.Load(Path.Combine(data, ShapesVqaWriter.DataFileName), modelDir, model.Config, LlavaTokenizer.Load(modelDir),
                               PromptConfig.Load(modelDir), ResizeMode.PadToSquare, 512);
    double[] keep = [0.5, 0.3, 0.1];
    using var adapter = LVPruningAdapter.Create(model, keep, seed: 1);
    var objective = new LVPruningObjective(model, adapter, keep,
        new LVPruningLossOptions { LambdaRatio = 10, LambdaDistill = 3, LambdaAttn = 1, MaskGradClip = 0.01 }, seed: 1);
    var options = new TrainerOptions { BatchSize = 1, LearningRate = 1e-3, MaxSteps = trainSteps, Epochs = 1000, SaveEvery = 500, Seed = 1 };
    string checkpoints = Path.Combine(outDir, "adapter.ckpt");
    if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, true);
    Sample("train", 0);
    Trainer.Run(objective, set, options, checkpoints, false, CancellationToken.None,
                log => { if (log.Step % 100 == 0 || log.Step == log.TotalSteps) Sample("train", log.Step); });
}

// Summary: growth over each phase after its first tenth (caches and tables are sized by then).
foreach (var phase in new[] { "decode", "train" })
{
    var s = samples.Where(x => x.Phase == phase).ToList();
    var settled = s.Count > 2 ? s.Skip(Math.Max(1, s.Count / 10)).ToList() : s;
    double first = settled.First().Rss, last = settled.Last().Rss, max = s.Max(x => x.Rss);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{phase}: {s.Last().Step} steps in {s.Last().Seconds - s.First().Seconds:F0} s; RSS {s.First().Rss:F0} MB at start, {first:F0} MB after a tenth, {last:F0} MB at the end ({last - first:+0;-0} MB), max {max:F0} MB"));
}
Console.WriteLine($"done in {clock.Elapsed.TotalMinutes:F1} min, no crash");
