using LVPrune.Models;
using static TorchSharp.torch;

namespace LVPrune.Generation;

/// <summary>
/// Runs LibTorch single-threaded while a bf16 CPU model decodes. Decoding's cost is the weight
/// streaming done by <see cref="Bf16Gemv"/> on .NET's threads; LibTorch only runs the small ops in
/// between (norms, rotary, attention over the cache), and its OpenMP workers keep spinning after
/// each of them, taking cores from the kernel. With one torch thread no worker is woken.
/// Nested and concurrent uses share one saved thread count: the first entry saves it, the last
/// exit restores it.
/// </summary>
public static class DecodeThreads
{
    private static readonly object Gate = new();
    private static int _depth, _saved;

    /// <summary>A scope that restores the thread count on dispose, or null when <paramref name="model"/> does not decode through the kernel.</summary>
    public static IDisposable? Enter(LlavaForConditionalGeneration model) =>
        model.DecodesThroughKernels ? EnterForKernel() : null;

    /// <summary>The same scope for any code about to run <see cref="Bf16Gemv"/> (null when the CPU cannot run it).</summary>
    public static IDisposable? EnterForKernel()
    {
        if (!Bf16Gemv.Supported)
            return null;
        lock (Gate)
        {
            if (_depth++ == 0)
            {
                _saved = get_num_threads();
                set_num_threads(1);
            }
        }
        return new Exit();
    }

    private sealed class Exit : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            lock (Gate)
                if (--_depth == 0) set_num_threads(_saved);
        }
    }
}
