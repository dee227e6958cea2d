using LVPrune.Generation;
using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Tests.Models;

[Collection(NativeStateCollection.Name)] // reads and sets LibTorch's process-wide thread count
public class DecodeThreadsTests
{
    [Avx2Fact] // the scope only applies when the kernel decodes
    public void Bf16CpuDecoding_RunsLibTorchOnOneThread_AndRestoresTheCount_AcrossNesting()
    {
        var cfg = TinyModels.Config();
        using var bf = TinyModels.Create(cfg, dtype: ScalarType.BFloat16);
        using var fp = TinyModels.Create(cfg);
        int before = get_num_threads();
        Assert.Null(DecodeThreads.Enter(fp)); // fp32 decodes through LibTorch: nothing to change
        using (var outer = DecodeThreads.Enter(bf))
        {
            Assert.NotNull(outer);
            Assert.Equal(1, get_num_threads());
            using (DecodeThreads.Enter(bf)) Assert.Equal(1, get_num_threads());
            Assert.Equal(1, get_num_threads()); // the inner exit does not restore early
        }
        Assert.Equal(before, get_num_threads());
    }
}
