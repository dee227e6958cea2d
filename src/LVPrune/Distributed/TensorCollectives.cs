using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Distributed;

/// <summary>
/// Collectives on tensors. Contiguous float32 CPU tensors are reduced in place, straight from their own
/// memory; any other dtype is reduced in float32 through a host copy, and CUDA tensors through a pinned
/// host buffer (MPI reads host memory; the copy back rounds to the tensor's dtype).
/// </summary>
public static class TensorCollectives
{
    /// <summary>Elements per MPI call on a tensor's memory (a Span's length is an int).</summary>
    private const long PartElements = 1L << 28;

    /// <summary>Sums each tensor over all processes, element-wise and in place (same shapes and order everywhere).</summary>
    public static void AllReduceSum(this IProcessGroup group, IEnumerable<Tensor> tensors)
    {
        if (group.Size == 1) return;
        using var noGrad = no_grad();
        foreach (var t in tensors)
        {
            using var scope = NewDisposeScope();
            if (InPlace(t, ScalarType.Float32))
                foreach (var part in Parts(t)) group.AllReduceSum(MemoryMarshal.Cast<byte, float>(part.bytes));
            else
            {
                var host = HostCopy(t, ScalarType.Float32);
                foreach (var part in Parts(host)) group.AllReduceSum(MemoryMarshal.Cast<byte, float>(part.bytes));
                t.copy_(host);
            }
        }
    }

    /// <summary>Root's tensors into every process's, in place (same shapes, dtypes and order everywhere).</summary>
    public static void Broadcast(this IProcessGroup group, IEnumerable<Tensor> tensors, int root = 0)
    {
        if (group.Size == 1) return;
        using var noGrad = no_grad();
        foreach (var t in tensors)
        {
            using var scope = NewDisposeScope();
            if (InPlace(t, t.dtype))
                foreach (var part in Parts(t)) group.Broadcast(part.bytes, root);
            else
            {
                var host = HostCopy(t, t.dtype);
                foreach (var part in Parts(host)) group.Broadcast(part.bytes, root);
                t.copy_(host);
            }
        }
    }

    private static bool InPlace(Tensor t, ScalarType dtype) => t.device_type == DeviceType.CPU && t.dtype == dtype && t.is_contiguous();

    /// <summary>A contiguous host copy in <paramref name="dtype"/>; pinned when the tensor lives on a GPU.</summary>
    private static Tensor HostCopy(Tensor t, ScalarType dtype)
    {
        if (t.device_type == DeviceType.CPU) return t.to(dtype).contiguous();
        var host = empty(t.shape, dtype, CPU).pin_memory();
        host.copy_(t);
        return host;
    }

    /// <summary>Views of at most <see cref="PartElements"/> elements covering a contiguous tensor.</summary>
    private static IEnumerable<Tensor> Parts(Tensor t)
    {
        long n = t.numel();
        if (n <= PartElements) { yield return t; yield break; }
        var flat = t.view(-1);
        for (long at = 0; at < n; at += PartElements) yield return flat.narrow(0, at, Math.Min(PartElements, n - at));
    }
}
