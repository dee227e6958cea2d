using LVPrune.Models;

namespace LVPrune.Generation;

/// <summary>What generation produced, with timings (prefill includes the vision tower). Plain arrays:
/// no tensor outlives the call.</summary>
public sealed record GenerationResult(
    IReadOnlyList<int[]> Tokens,
    IReadOnlyList<StageKeep> Stages,
    double VisionSeconds,
    double PrefillSeconds,
    double DecodeSeconds,
    int DecodedSteps);

/// <summary>Generates a batch to the end: a <see cref="GenerationSession"/> prefilled, then stepped until every row is done.</summary>
public static class LlavaGenerator
{
    public static GenerationResult Generate(LlavaForConditionalGeneration model, LlavaBatch batch, GenerationOptions options,
                                            int eosId, ITokenSelector? selector = null, Action<int, int>? onToken = null)
    {
        using var session = new GenerationSession(model, batch, options, eosId);
        session.Prefill(selector);
        while (session.Step(onToken)) { }
        return new GenerationResult(session.Tokens.Select(t => t.ToArray()).ToList(), session.Stages, session.VisionSeconds,
                                    session.PrefillSeconds, session.DecodeSeconds, session.DecodedSteps);
    }
}
