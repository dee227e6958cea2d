using LVPrune.Generation;
using LVPrune.Pruning;
using LVPrune.Serving;

namespace LVPrune.Tests.Serving;

/// <summary>
/// Continuous batching on the model, on a fixed schedule: rows prefilled apart (different pruning, so different
/// cache lengths per layer) are merged, decode together, one leaves, another joins mid-decode, and every
/// row's tokens equal its tokens decoded alone.
/// </summary>
public class GenerationBatchTests
{
    [Fact]
    public void RowsThatJoinAndLeave_DecodeAsAlone()
    {
        using var engine = ToyServing.Engine(maxBatch: 1);
        var pipeline = engine.Pipeline;
        int pad = pipeline.Model.Config.PadTokenId!.Value;
        var pruning = new PruningRequest?[] { null, new("lvpruning", 0.5), new("random", 0.7, Seed: 3), new("fastv", 0.4) };
        // Prepared twice: a random selector's generator advances as it draws.
        List<ChatRequest> Prepare() => pruning.Select((p, i) => engine.Prepare(ToyServing.Ask(ToyServing.Questions[i]),
                                                                                new ChatSettings { MaxTokens = 8, IgnoreEos = true, Pruning = p })).ToList();
        const int steps = 6;
        var solo = Prepare().Select(r =>
        {
            var row = new BatchRow(r.PromptIds, r.Pixels, r.Options);
            var (batch, _) = GenerationBatch.Prefill(pipeline.Model, [row], r.Pruning.Selector, pad);
            using (batch)
                return new[] { row.LastToken }.Concat(Enumerable.Range(0, steps).Select(_ => batch.Step()[0])).ToArray();
        }).ToList();

        // Rows 0-2 prefill apart and merge; after one step row 0 leaves and row 3 joins.
        var requests = Prepare();
        var rows = requests.Select(r => new BatchRow(r.PromptIds, r.Pixels, r.Options)).ToList();
        var prefilled = requests.Select((r, i) => GenerationBatch.Prefill(pipeline.Model, [rows[i]], r.Pruning.Selector, pad).Batch).ToList();
        var tokens = rows.Select(r => new List<long> { r.LastToken }).ToList();
        using (var first = GenerationBatch.Gather([(prefilled[0], 0), (prefilled[1], 0), (prefilled[2], 0)]))
        {
            var next = first.Step();
            for (int b = 0; b < 3; b++) tokens[b].Add(next[b]);
            using var second = GenerationBatch.Gather([(first, 1), (first, 2), (prefilled[3], 0)]);
            Assert.Equal([rows[1], rows[2], rows[3]], second.Rows);
            for (int s = 0; s < steps - 1; s++)
            {
                next = second.Step();
                for (int b = 0; b < 3; b++) tokens[b + 1].Add(next[b]);
            }
        }
        foreach (var b in prefilled) b.Dispose();
        foreach (var r in rows) r.Dispose();

        Assert.Equal(solo[0].Take(2), tokens[0]);
        for (int i = 1; i < 3; i++) Assert.Equal(solo[i], tokens[i]);
        Assert.Equal(solo[3].Take(steps), tokens[3]);
    }
}
