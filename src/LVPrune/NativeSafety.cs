namespace LVPrune;

/// <summary>
/// Mitigates a TorchSharp hazard seen here twice in long training runs (a use-after-free in
/// libLibTorchSharp and a corrupted c10::Scalar inside add): operators such as <c>x + y</c> create
/// native Scalars implicitly and leave them to the .NET finalizer, whose thread then frees native
/// memory concurrently with the main thread's LibTorch calls (TorchSharp PR #1496 disposes such
/// implicit Scalars; mzLib PR #1075 describes the same finalizer race). Draining finalizers at a step
/// boundary, when no native call is in flight, keeps few of them pending for a GC that strikes
/// mid-step. It lowers the risk; the fix belongs in TorchSharp.
/// </summary>
public static class NativeSafety
{
    public static void DrainFinalizers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
