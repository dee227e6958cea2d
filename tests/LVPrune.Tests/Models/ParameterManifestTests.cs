using LVPrune.Checkpoints;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Tests.Models;

/// <summary>
/// The full LLaVA-1.5-7B parameter manifest (names and shapes), built on LibTorch's meta device: the
/// real modules construct every parameter and allocate no weight memory. Names are the llava-hf
/// checkpoint keys (the loader reads them by name), so a renamed field or a wrong shape fails here
/// before anyone downloads 14 GB.
/// </summary>
public class ParameterManifestTests
{
    private static string ApprovedManifest => Path.Combine(AppContext.BaseDirectory, "Models", "llava-1.5-7b.manifest.txt");

    private static List<string> Manifest(LlavaForConditionalGeneration model) =>
        model.named_parameters().Select(p => $"{p.name} [{string.Join(", ", p.parameter.shape)}]").ToList();

    [Fact]
    public void TheSevenBillionPreset_HasTheApprovedManifest_WithoutAllocatingWeights()
    {
        using var model = new LlavaForConditionalGeneration(ModelPresets.Llava15_7B, ScalarType.BFloat16, META);
        Assert.All(model.parameters(), p => Assert.Equal(TorchSharp.DeviceType.META, p.device_type));
        var manifest = Manifest(model);
        var approved = File.ReadAllLines(ApprovedManifest).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var missing = approved.Except(manifest).ToList();
        var extra = manifest.Except(approved).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
                    $"manifest differs from {ApprovedManifest}:\nmissing {string.Join("\n  ", missing.Take(10))}\nextra {string.Join("\n  ", extra.Take(10))}");
        Assert.Equal(approved, manifest); // and in the same order

        // The published size of llava-hf/llava-1.5-7b-hf, and the same from the architecture's formulas.
        long count = model.parameters().Sum(p => p.numel());
        Assert.Equal(7_063_427_072L, count);
        long d = 4096, m = 11008, vocab = 32064, layers = 32;
        long language = 2 * vocab * d + layers * (4 * d * d + 3 * d * m + 2 * d) + d;
        long w = 1024, mv = 4096, vLayers = 24, patches = 576;
        long vision = w + w * 3 * 14 * 14 + (patches + 1) * w + 2 * w + vLayers * (4 * (w * w + w) + (w * mv + mv) + (mv * w + w) + 4 * w) + 2 * w;
        long projector = (w * d + d) + (d * d + d);
        Assert.Equal(language + vision + projector, count);
    }
}
