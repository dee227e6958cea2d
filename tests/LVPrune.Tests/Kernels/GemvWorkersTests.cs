using LVPrune.Kernels;

namespace LVPrune.Tests.Kernels;

[Collection(NativeStateCollection.Name)] // the helper threads are one process-wide pool
public class GemvWorkersTests
{
    [Fact]
    public void Workers_RunEveryItemExactlyOnce_FromConcurrentCallers_AndReportErrors()
    {
        const int jobs = 200, items = 37;
        void Caller(int[] counts)
        {
            for (int j = 0; j < jobs; j++) GemvWorkers.For(items, i => Interlocked.Increment(ref counts[i]));
        }
        var a = new int[items];
        var b = new int[items];
        Parallel.Invoke(() => Caller(a), () => Caller(b));
        Assert.All(a, c => Assert.Equal(jobs, c));
        Assert.All(b, c => Assert.Equal(jobs, c));

        var error = Assert.Throws<AggregateException>(() => GemvWorkers.For(items, i => { if (i == 5) throw new InvalidOperationException("item 5"); }));
        Assert.Equal("item 5", error.InnerException!.Message);
        var after = new int[items];
        GemvWorkers.For(items, i => Interlocked.Increment(ref after[i])); // still usable after a failed job
        Assert.All(after, c => Assert.Equal(1, c));
    }
}
