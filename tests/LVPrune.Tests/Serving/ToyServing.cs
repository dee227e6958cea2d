using LVPrune.Checkpoints;
using LVPrune.Cli;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Recipes;
using LVPrune.Serving;
using LVPrune.Toy;

namespace LVPrune.Tests.Serving;

/// <summary>The bundled toy model and the demo's scene, shared by the serving tests: reference answers come from
/// <see cref="LlavaPipeline.Generate"/> (the runtime that `lvprune generate` runs), one prompt at a time.</summary>
public static class ToyServing
{
    public static string ModelDir => CommonOptions.BundledModel;
    public static string AdapterPath => Path.Combine(ModelDir, "lvpruning.safetensors");

    private static readonly Lazy<(RgbImage Image, IReadOnlyList<(string Family, string Question, string? Truth)> Questions)> _scene = new(() => ToyDemo.Scene(2024));
    public static RgbImage Scene => _scene.Value.Image;
    public static IReadOnlyList<string> Questions => _scene.Value.Questions.Select(q => q.Question).ToList();
    public static IReadOnlyList<string> Truths => _scene.Value.Questions.Select(q => q.Truth!).ToList();

    public static LlavaPipeline LoadPipeline() => new(ModelLoader.Load(ModelDir), ModelDir);

    public static ChatEngine Engine(int maxBatch = 4, int maxQueue = 16, PruningSpec? pruning = null, IServingObserver? observer = null) =>
        new(LoadPipeline(), new ChatEngineOptions
        {
            ModelId = "toy-llava", MaxBatch = maxBatch, MaxQueue = maxQueue, AdapterPath = AdapterPath,
            DefaultPruning = pruning ?? new PruningSpec(), Observer = observer,
        }, ownsPipeline: true);

    public static IReadOnlyList<ChatTurn> Ask(string question, RgbImage? image = null) =>
        [new ChatTurn(ChatTurnRole.User, question, [image ?? Scene], "messages[0]")];

    /// <summary>The reference: the runtime's own generation of one prompt alone.</summary>
    public static Answer Solo(LlavaPipeline pipeline, string question, GenerationOptions options, ITokenSelector? selector = null) =>
        pipeline.Generate([Scene], [pipeline.PromptFor(question)], options, selector)[0];
}
