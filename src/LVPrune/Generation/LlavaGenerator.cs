using System.Diagnostics;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Generation;

/// <summary>What a pruning stage kept during prefill: per row, the image tokens (indices inside the image block) still present.</summary>
public sealed record StageKeep(int AfterLayer, long[][] KeptImageTokens);

/// <summary>What generation produced, with timings (prefill includes the vision tower). Plain arrays:
/// no tensor outlives the call.</summary>
public sealed record GenerationResult(
    IReadOnlyList<int[]> Tokens,
    IReadOnlyList<StageKeep> Stages,
    double VisionSeconds,
    double PrefillSeconds,
    double DecodeSeconds,
    int DecodedSteps);

/// <summary>
/// Prefill the prompt once (vision tower, projector, decoder with optional pruning) into a
/// preallocated KV cache, then decode token by token on that cache. Each step runs in its own
/// dispose scope, so memory stays flat however long the answer.
/// </summary>
public static class LlavaGenerator
{
    public static GenerationResult Generate(LlavaForConditionalGeneration model, LlavaBatch batch, GenerationOptions options,
                                            int eosId, ITokenSelector? selector = null, Action<int, int>? onToken = null)
    {
        options.Validate();
        var cfg = model.Config.TextConfig;
        int B = (int)batch.Batch;
        using var noGrad = no_grad();
        using var cache = new KvCache(cfg.NumHiddenLayers, B, cfg.KvHeads, (int)batch.Length + Math.Max(1, options.MaxNewTokens),
                                      cfg.HeadDimension, model.DType, model.Device);
        using var sampler = new Sampler(options);
        var outputs = Enumerable.Range(0, B).Select(_ => new List<int>()).ToArray();
        var finished = new bool[B];
        var sw = Stopwatch.StartNew();
        double visionSeconds;
        IReadOnlyList<StageKeep> stages;
        Tensor next;
        Tensor positions;
        using (var scope = NewDisposeScope())
        {
            var vision = Stopwatch.StartNew();
            var features = batch.PixelValues is null ? null : model.ImageFeatures(batch.PixelValues);
            visionSeconds = vision.Elapsed.TotalSeconds;
            var embeds = model.InputsEmbeds(batch, features);
            var output = model.Decoder.Forward(embeds, batch.TokenState(model.Device), cache, selector, batch.HasPadding);
            var last = model.language_model.Logits(output.Hidden.narrow(1, output.Hidden.shape[1] - 1, 1)); // [B, 1, V]
            next = sampler.Next(last.squeeze(1)).MoveToOuterDisposeScope();                              // [B]
            positions = batch.NextPositions().to(model.Device).MoveToOuterDisposeScope();               // [B, 1]
            stages = output.Stages.Select(s => new StageKeep(s.Layer, Enumerable.Range(0, B).Select(b =>
                s.Tokens.ImageIndex[b].data<long>().ToArray().Where(i => i >= 0).ToArray()).ToArray())).ToList();
        }
        double prefill = sw.Elapsed.TotalSeconds;
        sw.Restart();
        int steps = 0;
        using var decodeThreads = DecodeThreads.Enter(model);
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            long[] ids;
            using (NewDisposeScope()) ids = next.cpu().data<long>().ToArray();
            for (int b = 0; b < B; b++)
            {
                if (finished[b]) continue;
                if (options.StopAtEos && ids[b] == eosId) { finished[b] = true; continue; }
                outputs[b].Add((int)ids[b]);
                onToken?.Invoke(b, (int)ids[b]);
            }
            if (finished.All(f => f) || step == options.MaxNewTokens - 1) break;
            using var scope = NewDisposeScope();
            var logits = model.DecodeStep(next.unsqueeze(1), positions, cache, batch.HasPadding); // [B, 1, V]
            steps++;
            next.Dispose();
            next = sampler.Next(logits.squeeze(1)).MoveToOuterDisposeScope();
            var advanced = (positions + 1).MoveToOuterDisposeScope();
            positions.Dispose();
            positions = advanced;
        }
        next.Dispose();
        positions.Dispose();
        return new GenerationResult(outputs.Select(o => o.ToArray()).ToList(), stages, visionSeconds, prefill, sw.Elapsed.TotalSeconds, steps);
    }
}
