using System.Text.Json;
using System.Text.Json.Serialization;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// A hand-written pruning plan: after the decoder layer with 0-based index after_layer, only the
/// listed image tokens (indices inside the image block, 0..N-1) go on, each with its original
/// position id; text tokens always go on; later stages may prune further (listing a token an
/// earlier stage removed is an error). Format:
/// {"stages":[{"after_layer":1,"keep_image_tokens":[0,3,5]}]}
/// </summary>
public sealed class KeepPlan : ITokenSelector
{
    public sealed record Stage(
        [property: JsonPropertyName("after_layer")] int AfterLayer,
        [property: JsonPropertyName("keep_image_tokens")] int[] KeepImageTokens);

    private sealed record PlanFile([property: JsonPropertyName("stages")] Stage[]? Stages);

    public IReadOnlyList<Stage> Plan { get; }
    public IReadOnlyList<SelectionStage> Stages { get; }

    public KeepPlan(IReadOnlyList<Stage> stages, int decoderLayers, int imageTokens, string source = "keep plan")
    {
        for (int s = 0; s < stages.Count; s++)
        {
            var st = stages[s];
            if (st.AfterLayer < 0 || st.AfterLayer >= decoderLayers)
                throw new LVPruneException($"{source}: stage {s} after_layer {st.AfterLayer} is outside 0..{decoderLayers - 1}");
            if (s > 0 && st.AfterLayer <= stages[s - 1].AfterLayer)
                throw new LVPruneException($"{source}: stage {s} after_layer {st.AfterLayer} must be greater than the previous stage's {stages[s - 1].AfterLayer}");
            if (st.KeepImageTokens is null)
                throw new LVPruneException($"{source}: stage {s} has no keep_image_tokens");
            foreach (int i in st.KeepImageTokens)
                if (i < 0 || i >= imageTokens)
                    throw new LVPruneException($"{source}: stage {s} keeps image token {i}, outside 0..{imageTokens - 1}");
            if (st.KeepImageTokens.Distinct().Count() != st.KeepImageTokens.Length)
                throw new LVPruneException($"{source}: stage {s} lists an image token twice");
            if (s > 0)
            {
                var previous = stages[s - 1].KeepImageTokens.ToHashSet();
                int gone = st.KeepImageTokens.FirstOrDefault(i => !previous.Contains(i), -1);
                if (gone >= 0)
                    throw new LVPruneException($"{source}: stage {s} keeps image token {gone}, which stage {s - 1} already removed");
            }
        }
        Plan = stages;
        Stages = stages.Select(s => new SelectionStage(s.AfterLayer)).ToArray();
        _imageTokens = imageTokens;
    }

    private readonly int _imageTokens;

    public static KeepPlan Load(string path, int decoderLayers, int imageTokens)
    {
        if (!File.Exists(path)) throw new LVPruneException($"keep plan not found: {path}");
        PlanFile? file;
        try { file = JsonSerializer.Deserialize<PlanFile>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new LVPruneException($"{path}: not a valid keep plan ({e.Message})"); }
        if (file?.Stages is null) throw new LVPruneException($"{path}: expected {{\"stages\": [...]}}");
        return new KeepPlan(file.Stages, decoderLayers, imageTokens, path);
    }

    public StageDecision Decide(StageInput input)
    {
        using var scope = NewDisposeScope();
        var flags = new bool[_imageTokens];
        foreach (int i in Plan[input.Stage].KeepImageTokens) flags[i] = true;
        var perRow = tensor(flags).to(input.Hidden.device).unsqueeze(0).expand(input.Tokens.Batch, _imageTokens);
        var tokens = input.Tokens;
        var keep = KeepMask.FromImageFlags(tokens, perRow);
        return new StageDecision(KeepIndices: KeepMask.ToIndices(keep).MoveToOuterDisposeScope());
    }
}
