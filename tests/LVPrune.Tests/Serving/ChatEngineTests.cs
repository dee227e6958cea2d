using LVPrune.Generation;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Serving;

namespace LVPrune.Tests.Serving;

/// <summary>
/// The engine against the runtime: every request answered in a batch (prefilled with others, decoding beside
/// rows of other lengths and other pruning, joining and leaving mid-decode) equals the same request alone
/// through <see cref="LlavaPipeline.Generate"/>, text and kept patches alike.
/// </summary>
public class ChatEngineTests
{
    private static async Task<(string Text, ChatStats Stats)[]> All(ChatEngine engine, IEnumerable<ChatRequest> requests)
    {
        var streams = engine.SubmitAll(requests.ToList());
        return await Task.WhenAll(streams.Select(s => s.CompleteAsync()));
    }

    [Fact]
    public async Task BatchedAnswers_EqualSoloAnswers_MixedPruningAndLengths()
    {
        using var engine = ToyServing.Engine(maxBatch: 4);
        var pipeline = engine.Pipeline;
        using var adapter = LVPruningAdapter.Load(ToyServing.AdapterPath, pipeline.Model);
        int imageTokens = pipeline.Model.Config.ImageTokens;
        // Rows of different lengths (ignore_eos, 2..9 tokens) and pruning (lvpruning, none, random) share decode
        // steps: four rows decode at once, and each finished row is replaced by a waiting one mid-decode.
        PruningRequest?[] pruning = [new("lvpruning", 0.5), null, new("lvpruning", 0.5), new("random", 0.7, Seed: 11), new("lvpruning", 0.5), null];
        var cases = ToyServing.Questions.Select((q, i) => (Question: q, MaxTokens: 2 + (i * 5) % 8, Pruning: pruning[i])).ToList();
        var requests = cases.Select(c => engine.Prepare(ToyServing.Ask(c.Question), new ChatSettings { MaxTokens = c.MaxTokens, IgnoreEos = true, Pruning = c.Pruning })).ToList();
        var answers = await All(engine, requests);

        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            using var lv = c.Pruning?.Method == "lvpruning" ? new LVPruningSelector(adapter, KeepRatios.FromRho(0.5), imageTokens, PruningMode.Infer) : null;
            ITokenSelector? selector = c.Pruning?.Method == "random" ? new RandomSelector(adapter.Layers, KeepRatios.FromRho(0.7), imageTokens, 11) : lv;
            var solo = ToyServing.Solo(pipeline, c.Question, new GenerationOptions { MaxNewTokens = c.MaxTokens, StopAtEos = false }, selector);
            Assert.Equal(solo.Text, answers[i].Text.Trim());
            Assert.Equal(c.MaxTokens, answers[i].Stats.CompletionTokens);
            Assert.Equal("length", answers[i].Stats.FinishReason);
            Assert.Equal(solo.Stages.Select(s => (s.AfterLayer, s.KeptImageTokens)), answers[i].Stats.Stages.Select(s => (s.AfterLayer, s.KeptImageTokens)));
        }
        // Queued together: rows 0 and 2 (the same pruning) were prefilled as one batch; 4 and 5 joined later, alone.
        Assert.Equal([2, 1, 2, 1, 1, 1], answers.Select(a => a.Stats.PrefillBatch));
        Assert.Equal(0, engine.ActiveRows);
    }

    [Fact]
    public async Task GreedyAnswers_StopAtEos_AndAreCorrect()
    {
        using var engine = ToyServing.Engine(maxBatch: 8);
        var requests = ToyServing.Questions.Select(q => engine.Prepare(ToyServing.Ask(q), new ChatSettings())).ToList();
        var answers = await All(engine, requests);
        Assert.Equal(ToyServing.Truths, answers.Select(a => a.Text));
        Assert.All(answers, a => Assert.Equal("stop", a.Stats.FinishReason));
        Assert.All(answers, a => Assert.Equal(6, a.Stats.PrefillBatch));
    }

    [Fact]
    public async Task SampledAndRandomRows_DrawWhatTheyDrawAlone_AsRowsFinishAndJoin()
    {
        using var engine = ToyServing.Engine(maxBatch: 3);
        var pipeline = engine.Pipeline;
        using var adapter = LVPruningAdapter.Load(ToyServing.AdapterPath, pipeline.Model);
        var questions = ToyServing.Questions.Take(4).ToList();
        // Lengths 3, 5, 7, 9: row 0 finishes first and rides along unsampled until row 3 joins.
        var requests = questions.Select((q, i) => engine.Prepare(ToyServing.Ask(q), new ChatSettings
        {
            MaxTokens = 3 + 2 * i, IgnoreEos = true, Temperature = 1.5, TopP = 0.9, Seed = 100 + i, Pruning = new PruningRequest("random", 0.6, Seed: 7 + i),
        })).ToList();
        var answers = await All(engine, requests);
        Assert.Equal([3, 3, 3, 1], answers.Select(a => a.Stats.PrefillBatch));
        for (int i = 0; i < questions.Count; i++)
        {
            // Alone, a random selector of the request's seed draws [1, N] per stage; in the batch each row keeps its own.
            var selector = new RandomSelector(adapter.Layers, KeepRatios.FromRho(0.6), pipeline.Model.Config.ImageTokens, 7 + i);
            var solo = ToyServing.Solo(pipeline, questions[i], new GenerationOptions { MaxNewTokens = 3 + 2 * i, StopAtEos = false, Temperature = 1.5, TopP = 0.9, Seed = 100 + i }, selector);
            Assert.Equal(solo.Text, answers[i].Text.Trim());
            Assert.Equal(solo.Stages.Select(s => s.KeptImageTokens), answers[i].Stats.Stages.Select(s => s.KeptImageTokens));
        }
    }
}
