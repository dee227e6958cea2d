namespace LVPrune;

/// <summary>
/// A TorchSharp hazard seen here twice in long training runs (a use-after-free in libLibTorchSharp
/// and a corrupted c10::Scalar inside add): operators such as <c>x + y</c> (add with an implicit
/// alpha of 1), <c>x * 0.5</c>, <c>t.ToDouble()</c> or <c>arange(a, b)</c> create native Scalars
/// implicitly and leave them to the .NET finalizer, whose thread then frees native memory
/// concurrently with the main thread's LibTorch calls (TorchSharp PR #1496 disposes such implicit
/// Scalars; mzLib PR #1075 describes the same finalizer race). LVPrune's per-token and per-step code
/// creates none (Models.Scalars, Models.ScalarFree; the tests count what reaches the finalizer), and
/// owns and disposes its Generators. Draining at a step or batch boundary, when no native call is in
/// flight, still finalizes whatever third-party code may leave behind before a GC strikes mid-step.
/// </summary>
public static class NativeSafety
{
    public static void DrainFinalizers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
