using LVPrune.Generation;
using LVPrune.Pruning;
using LVPrune.Serving;
using LVPrune.Tests.Serving;
using static TorchSharp.torch;

namespace LVPrune.Tests.Generation;

/// <summary>
/// Continuous batching in the one decode loop, on a fixed schedule: rows prefilled apart (different pruning, so
/// different cache lengths per layer, and layers of equal length holding different padding) are joined, decode
/// together, one leaves, another joins mid-decode, and every row's tokens equal its tokens decoded alone.
/// </summary>
public class GenerationSessionJoinTests
{
    [Fact]
    public void RowsThatJoinAndLeave_DecodeAsAlone()
    {
        using var engine = ToyServing.Engine(maxBatch: 1);
        var pipeline = engine.Pipeline;
        var model = pipeline.Model;
        int pad = model.Config.PadTokenId!.Value, eos = pipeline.Tokenizer.EosId;
        using var adapter = LVPruningAdapter.Load(ToyServing.AdapterPath, model);
        var pruning = new PruningRequest?[] { null, new("lvpruning", 0.5), new("random", 0.7, Seed: 3), new("fastv", 0.4) };
        var requests = pruning.Select((p, i) => engine.Prepare(ToyServing.Ask(ToyServing.Questions[i]),
                                                                new ChatSettings { MaxTokens = 8, IgnoreEos = true, Pruning = p })).ToList();
        GenerationSession Prefilled(ChatRequest r)
        {
            using var selector = ResolvedPruning.ForGroup([r.Pruning], model, adapter);
            using var scope = NewDisposeScope();
            using var batch = ChatRequest.Batch([r], model.Config, pad);
            var session = new GenerationSession(model, batch, [r.Options], eos);
            session.Prefill(selector);
            return session;
        }
        var solo = requests.Select(r =>
        {
            using var session = Prefilled(r);
            var tokens = new List<int>();
            while (session.Step((_, t) => tokens.Add(t))) { }
            return tokens;
        }).ToList();
        Assert.All(solo, t => Assert.Equal(8, t.Count));

        // Rows 0-2 prefill apart and join; after two steps row 0 leaves and row 3 joins.
        var alone = requests.Select(Prefilled).ToList();
        var tokens = requests.Select(_ => new List<int>()).ToList();
        using (var first = GenerationSession.Join([(alone[0], 0), (alone[1], 0), (alone[2], 0)]))
        {
            for (int s = 0; s < 2; s++) Assert.True(first.Step((b, t) => tokens[b].Add(t)));
            using var second = GenerationSession.Join([(first, 1), (first, 2), (alone[3], 0)]);
            while (second.Step((b, t) => tokens[b + 1].Add(t))) { }
            Assert.Equal([RowEnd.Length, RowEnd.Length, RowEnd.Length], second.Ends);
        }
        foreach (var s in alone) s.Dispose();

        Assert.Equal(solo[0].Take(2), tokens[0]);
        for (int i = 1; i < 4; i++) Assert.Equal(solo[i], tokens[i]);
    }
}
