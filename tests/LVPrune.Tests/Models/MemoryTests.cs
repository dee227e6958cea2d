using LVPrune.Benchmarking;
using LVPrune.Generation;
using LVPrune.Models;
using LVPrune.Pruning;
using TorchSharp;
using LVPrune.Checkpoints;

namespace LVPrune.Tests.Models;

[Collection(NativeStateCollection.Name)] // bf16 decoding sets LibTorch's thread count; live-tensor counts are per thread but xUnit's threads are shared
public class MemoryTests
{
    [Theory]
    [InlineData(TorchSharp.torch.ScalarType.Float32)]
    [InlineData(TorchSharp.torch.ScalarType.BFloat16)] // decode steps go through Bf16Gemv
    public void RepeatedPrefillsAndDecodeSteps_LeaveNoTensorsBehind(TorchSharp.torch.ScalarType dtype)
    {
        using var model = BenchModels.Random(ModelPresets.ByName("toy"), dtype);
        using var adapter = BenchSuite.RandomAdapter(model, [0.5, 0.3, 0.1]);
        var selectors = new ITokenSelector?[]
        {
            null, new LVPruningSelector(adapter, [0.5, 0.3, 0.1], model.Config.ImageTokens, PruningMode.Infer),
            new FastVSelector(2, 0.5, model.Config.ImageTokens, model.Decoder.LayerCount),
        };
        using var batch = BenchRunner.DummyBatch(model, 20);
        var options = new GenerationOptions { MaxNewTokens = 6, StopAtEos = false };
        foreach (var s in selectors) LlavaGenerator.Generate(model, batch, options, -1, s); // warm-up (tables sized once)
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int round = 0; round < 3; round++)
            foreach (var s in selectors) LlavaGenerator.Generate(model, batch, options with { MaxNewTokens = 6 + 4 * round }, -1, s);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
