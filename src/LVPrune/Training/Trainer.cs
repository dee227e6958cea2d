using TorchSharp.Modules;
using System.Diagnostics;
using System.Text.Json;
using LVPrune.Distributed;
using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>Points where a caller joins the training step.</summary>
/// <param name="GradientsReady">after every micro-batch's backward pass and the gradients' sum over the
/// processes of a data-parallel job, before clipping and the optimizer update (step, trainable parameters)</param>
public sealed record TrainerHooks(Action<long, IReadOnlyList<(string Name, Parameter Param)>>? GradientsReady = null);

/// <summary>One optimizer step's numbers, for the progress bar and the JSONL log.</summary>
public sealed record TrainStepLog(long Step, long TotalSteps, int Epoch, double Loss, double LearningRate, double GradNorm,
                                  double SamplesPerSecond, double EtaSeconds, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// The training loop shared by base-model training and LVPruning adapters: seeded data order per
/// epoch, micro-batches with gradient accumulation, gradient-norm clipping, AdamW with warm-up and
/// cosine decay, a JSONL log of every step, atomic resumable checkpoints. A resumed run reproduces
/// the uninterrupted one exactly: the data position, optimizer moments and the objective's random
/// draws all derive from the step number.
///
/// Data-parallel over a process group (mpirun -np N): every micro-batch of BatchSize rows is the global
/// one, each process takes its contiguous BatchSize / N rows, losses are shares of the global batch's
/// mean (<see cref="BatchShare"/>), gradients are summed over the processes before clipping, and every
/// process takes the same optimizer step. Rank 0 alone logs, reports progress and writes checkpoints;
/// the data position is global, so a checkpoint resumes with any number of processes.
/// </summary>
public static class Trainer
{
    public const string LogName = "train_log.jsonl";

    public static long TotalSteps(int samples, TrainerOptions o)
    {
        long perEpoch = samples / ((long)o.BatchSize * o.GradAccum);
        if (perEpoch == 0) throw new LVPruneException($"{samples} samples are fewer than one step's batch ({o.BatchSize} x {o.GradAccum})");
        long total = perEpoch * o.Epochs;
        return o.MaxSteps is { } max ? Math.Min(max, total) : total;
    }

    /// <summary>Runs to the end (or to cancellation, after a checkpoint) and returns the last step reached.</summary>
    /// <param name="group">the processes sharing each batch (null = this process alone); every process calls Run with the same arguments</param>
    public static long Run(ITrainingObjective objective, TrainingSet data, TrainerOptions o, string checkpointDir, bool resume,
                           CancellationToken cancel, Action<TrainStepLog>? onStep = null, TextWriter? log = null,
                           Action<long>? onCheckpoint = null, TrainerHooks? hooks = null, IProcessGroup? group = null)
    {
        o.Validate();
        group ??= SingleProcess.Instance;
        bool root = group.IsRoot;
        var say = root ? log : null;
        int rows = LocalRows(o.BatchSize, group.Size);
        long total = TotalSteps(data.Count, o);
        long perEpoch = data.Count / ((long)o.BatchSize * o.GradAccum);
        var schedule = new LrSchedule(o.LearningRate, total, o.WarmupRatio);
        using var optimizer = new AdamW(objective.Trainable) { WeightDecay = o.WeightDecay };
        long start = 0;
        var meta = new TrainCheckpoint
        {
            TotalSteps = total, Objective = objective.Kind, Identity = objective.Identity,
            Data = Path.GetFullPath(data.Source), DataCount = data.Count, Options = o,
        };
        string logPath = Path.Combine(checkpointDir, LogName);
        if (resume)
        {
            // Every process restores the state (the checkpoint folder is shared); rank 0 alone rewrites the log.
            var saved = TrainCheckpoint.Read(checkpointDir);
            if (saved.Identity != meta.Identity)
                throw new LVPruneException($"{checkpointDir}: checkpoint is for another model or objective ({saved.Objective}: {saved.Identity}), not ({meta.Objective}: {meta.Identity})");
            if (saved.DataCount != meta.DataCount || saved.Options with { MaxSteps = null, SaveEvery = 0 } != o with { MaxSteps = null, SaveEvery = 0 })
                throw new LVPruneException($"{checkpointDir}: checkpoint was made with other data or options ({saved.DataCount} samples); resume with the same --data and options");
            saved.Restore(checkpointDir, objective.Trainable, optimizer);
            start = saved.Step;
            if (root && File.Exists(logPath))
            {
                var kept = File.ReadAllLines(logPath).Where(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64() <= start);
                AtomicFile.WriteAllText(logPath, string.Concat(kept.Select(l => l + "\n")));
            }
            say?.WriteLine($"resumed from step {start} of {total}");
        }
        else if (root)
        {
            if (TrainCheckpoint.Exists(checkpointDir))
                throw new LVPruneException($"{checkpointDir} already holds a training checkpoint; pass --resume to continue it or choose another folder");
            Directory.CreateDirectory(checkpointDir);
            File.WriteAllText(logPath, "");
        }
        // Every process starts from rank 0's weights.
        group.Broadcast(objective.Trainable.Select(t => (Tensor)t.Param));

        var sw = Stopwatch.StartNew();
        long samplesDone = 0;
        using var logFile = root ? new StreamWriter(logPath, append: true) : null;
        int[] order = [];
        int orderEpoch = -1;
        for (long step = start; step < total; step++)
        {
            int epoch = (int)(step / perEpoch);
            if (epoch != orderEpoch) (order, orderEpoch) = (EpochOrder(data.Count, o.Seed, epoch), epoch); // once per epoch, not per step
            optimizer.ZeroGrad();
            double lossSum = 0;
            var metricSums = new Dictionary<string, double>();
            var maxima = new Dictionary<string, List<double>>(); // "*_max" metrics per micro-batch, for the maximum over the processes
            using (var accum = o.GradAccum.ToScalar())
                for (int micro = 0; micro < o.GradAccum; micro++)
                {
                    using var scope = NewDisposeScope();
                    long offset = ((step % perEpoch) * o.GradAccum + micro) * o.BatchSize;
                    // This process's contiguous rows of the global micro-batch (all of it alone).
                    int first = group.Rank * rows;
                    var indices = Enumerable.Range(first, rows).Select(i => order[offset + i]).ToList();
                    using var batch = data.Batch(indices);
                    var share = group.Size == 1 ? null : Share(group, batch, first, o.BatchSize);
                    var (loss, metrics) = objective.Compute(batch, step * o.GradAccum + micro, share);
                    loss.div(accum).backward();
                    lossSum += loss.ReadDouble() / o.GradAccum;
                    foreach (var (k, v) in metrics)
                    {
                        metricSums[k] = metricSums.GetValueOrDefault(k) + v / o.GradAccum;
                        if (IsMaximum(k)) (maxima.TryGetValue(k, out var list) ? list : maxima[k] = []).Add(v);
                    }
                }
            // Gradients ready: every micro-batch is accumulated and summed over the processes; nothing is clipped or applied yet.
            GradientReduction.SumAcross(group, objective.Trainable);
            hooks?.GradientsReady?.Invoke(step, objective.Trainable);
            double norm = ClipGradients(objective.Trainable, o.ClipNorm);
            double lr = schedule.At(step);
            optimizer.Update(lr);
            NativeSafety.DrainFinalizers();
            (lossSum, metricSums) = StepTotals(group, lossSum, metricSums, maxima, o.GradAccum);
            samplesDone += (long)o.BatchSize * o.GradAccum;
            bool last = step + 1 == total;
            if (root)
            {
                double rate = samplesDone / Math.Max(1e-9, sw.Elapsed.TotalSeconds);
                var entry = new TrainStepLog(step + 1, total, epoch, lossSum, lr, norm, rate,
                                             (total - step - 1) * o.BatchSize * o.GradAccum / Math.Max(1e-9, rate), metricSums);
                logFile!.WriteLine(JsonSerializer.Serialize(LogLine(entry)));
                logFile.Flush();
                onStep?.Invoke(entry);
            }
            bool stop = Stopping(group, cancel); // after onStep, which may cancel
            if (root && (last || stop || (o.SaveEvery > 0 && (step + 1) % o.SaveEvery == 0)))
            {
                TrainCheckpoint.Write(checkpointDir, meta with { Step = step + 1 }, objective.Trainable, optimizer);
                onCheckpoint?.Invoke(step + 1);
            }
            if (stop && !last)
            {
                say?.WriteLine($"interrupted: checkpoint written at step {step + 1} in {checkpointDir} (continue with --resume)");
                throw new OperationCanceledException(cancel);
            }
        }
        using (NewDisposeScope())
            foreach (var (_, p) in objective.Trainable) p.grad?.Dispose();
        return total;
    }

    /// <summary>Rows of each micro-batch one of <paramref name="processes"/> processes takes.</summary>
    public static int LocalRows(int batchSize, int processes) =>
        batchSize % processes == 0
            ? batchSize / processes
            : throw new LVPruneException($"--batch-size {batchSize} is the global batch and must divide by the {processes} processes; give a multiple of {processes}");

    /// <summary>This process's share of the global micro-batch: its rows, and the global count of label tokens (summed over the processes).</summary>
    private static BatchShare Share(IProcessGroup group, LlavaBatch batch, int first, int globalRows)
    {
        Span<double> tokens = [CausalLmLoss.SupervisedCount(batch.Labels!)];
        group.AllReduceSum(tokens);
        return new BatchShare(new BatchSlice(first, globalRows), tokens[0]);
    }

    /// <summary>
    /// The step's loss and metrics over the global batch, on rank 0: the processes' shares summed; a "*_max"
    /// metric (a maximum over a micro-batch's rows) is the maximum over the processes per micro-batch, then the
    /// mean over the micro-batches, as one process computes it.
    /// </summary>
    private static (double Loss, Dictionary<string, double> Metrics) StepTotals(IProcessGroup group, double loss, Dictionary<string, double> metrics,
                                                                             Dictionary<string, List<double>> maxima, int microBatches)
    {
        if (group.Size == 1) return (loss, metrics);
        var parts = group.Gather(JsonSerializer.SerializeToUtf8Bytes(new StepPart(loss, metrics, maxima)));
        if (parts is null) return (loss, metrics); // not rank 0: nothing to log
        var all = parts.Select(p => JsonSerializer.Deserialize<StepPart>(p)!).ToList();
        var totals = new Dictionary<string, double>();
        foreach (var k in all[0].Metrics.Keys)
        {
            if (!IsMaximum(k)) { totals[k] = all.Sum(a => a.Metrics[k]); continue; }
            double mean = 0;
            for (int i = 0; i < microBatches; i++) mean += all.Max(a => a.Maxima[k][i]) / microBatches;
            totals[k] = mean;
        }
        return (all.Sum(a => a.Loss), totals);
    }

    /// <summary>Metrics named "*_max" are maxima over a micro-batch's rows; the others are means.</summary>
    private static bool IsMaximum(string metric) => metric.EndsWith("_max", StringComparison.Ordinal);

    private sealed record StepPart(double Loss, Dictionary<string, double> Metrics, Dictionary<string, List<double>> Maxima);

    /// <summary>Whether to stop after this step: any process interrupted stops every process at the same step.</summary>
    private static bool Stopping(IProcessGroup group, CancellationToken cancel)
    {
        if (group.Size == 1) return cancel.IsCancellationRequested;
        Span<float> flag = [cancel.IsCancellationRequested ? 1 : 0];
        group.AllReduceSum(flag);
        return flag[0] > 0;
    }

    private static Dictionary<string, object> LogLine(TrainStepLog e)
    {
        var line = new Dictionary<string, object>
        {
            ["step"] = e.Step, ["epoch"] = e.Epoch, ["loss"] = e.Loss, ["lr"] = e.LearningRate,
            ["grad_norm"] = e.GradNorm, ["samples_per_s"] = Math.Round(e.SamplesPerSecond, 2),
        };
        foreach (var (k, v) in e.Metrics) line[k] = v;
        return line;
    }

    /// <summary>The data order of an epoch: a Fisher-Yates shuffle seeded by (seed, epoch).</summary>
    public static int[] EpochOrder(int count, long seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var rng = new Random(unchecked((int)(seed * 7919 + epoch * 104729 + 17)));
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>torch.nn.utils.clip_grad_norm_: scales all gradients by max/(norm + 1e-6) when the global L2 norm exceeds max.</summary>
    public static double ClipGradients(IReadOnlyList<(string Name, Parameter Param)> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = parameters.Select(p => p.Param.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        var total = stack(grads.Select(g => g.to(ScalarType.Float32).pow(Scalars.Two).sum()).ToArray()).sum().sqrt().ReadDouble();
        if (maxNorm > 0 && total > maxNorm)
        {
            using var coef = (maxNorm / (total + 1e-6)).ToScalar();
            foreach (var g in grads) g.mul_(coef);
        }
        return total;
    }
}
