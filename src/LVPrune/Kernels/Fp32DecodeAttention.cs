using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace LVPrune.Kernels;

/// <summary>
/// Attention of one new token over an fp32 KV cache (the fp32 compute path's decode):
/// softmax(q K^T / sqrt(d)) V per head, read straight from the cache's preallocated buffers
/// [B, KvH, capacity, Dh] up to <c>length</c>. Each (batch, head) pair is a work item on
/// <see cref="GemvWorkers"/>: scores with FMA, an exact fp32 softmax (max subtracted), the weighted
/// sum of values in fp32. Grouped-query attention maps head h to key-value head h / (H / KvH).
/// Padding: key j is visible when valid[b, j] is true, and the query always sees itself (the last
/// key), as the model's attention mask does. Takes raw tensors, not a cache type, so any cache
/// layout with these shapes can call it.
/// </summary>
public static unsafe class Fp32DecodeAttention
{
    /// <summary>
    /// Output [B, H, 1, Dh] (fp32) of q [B, H, 1, Dh] over keys/values [B, KvH, capacity, Dh] (fp32,
    /// contiguous), the first <paramref name="length"/> positions; <paramref name="valid"/> [B, capacity]
    /// (bool) or null when no position is padding.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor keys, Tensor values, int length, Tensor? valid, KernelIsa isa)
    {
        if (!CpuFeatures.Current.Supports(isa)) throw new PlatformNotSupportedException($"this CPU cannot run the {isa} kernel ({CpuFeatures.Current})");
        if (q.dtype != ScalarType.Float32 || keys.dtype != ScalarType.Float32 || values.dtype != ScalarType.Float32)
            throw new ArgumentException($"q, keys and values must be fp32, got {q.dtype}, {keys.dtype}, {values.dtype}");
        if (q.dim() != 4 || q.shape[2] != 1) throw new ArgumentException($"q must be [B, H, 1, Dh], got [{string.Join(", ", q.shape)}]");
        if (keys.dim() != 4 || !keys.shape.SequenceEqual(values.shape) || !keys.is_contiguous() || !values.is_contiguous())
            throw new ArgumentException("keys and values must be contiguous [B, KvH, capacity, Dh] of one shape");
        int batch = (int)q.shape[0], heads = (int)q.shape[1], headDim = (int)q.shape[3];
        int kvHeads = (int)keys.shape[1], capacity = (int)keys.shape[2];
        if (keys.shape[0] != batch || keys.shape[3] != headDim || headDim % 8 != 0) throw new ArgumentException($"keys [{string.Join(", ", keys.shape)}] do not fit q [{string.Join(", ", q.shape)}] (Dh must be a multiple of 8)");
        if (heads % kvHeads != 0) throw new ArgumentException($"{heads} heads are not a multiple of {kvHeads} key-value heads");
        if (length < 1 || length > capacity) throw new ArgumentException($"length {length} outside 1..{capacity}");
        if (valid is not null && (valid.dtype != ScalarType.Bool || valid.dim() != 2 || valid.shape[0] != batch || valid.shape[1] != capacity || !valid.is_contiguous()))
            throw new ArgumentException($"valid must be contiguous bool [{batch}, {capacity}]");

        var output = empty([batch, heads, 1, headDim], ScalarType.Float32);
        using var qc = q.contiguous();
        var work = new Work(
            (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(qc.bytes)),
            (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(keys.bytes)),
            (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(values.bytes)),
            valid is null ? null : (bool*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(valid.bytes)),
            (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(output.bytes)),
            heads, kvHeads, capacity, length, headDim, isa);
        GemvWorkers.For(batch * heads, work.Run);
        return output;
    }

    private sealed class Work(float* q, float* k, float* v, bool* valid, float* output,
                              int heads, int kvHeads, int capacity, int length, int headDim, KernelIsa isa)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int item)
        {
            int b = item / heads, h = item % heads, kvh = h / (heads / kvHeads);
            long rowsStart = ((long)b * kvHeads + kvh) * capacity;   // first cache row of this (b, kv head)
            float* keys = k + rowsStart * headDim, vals = v + rowsStart * headDim;
            float* query = q + (long)item * headDim;
            bool* visible = valid is null ? null : valid + (long)b * capacity;
            float scale = 1f / MathF.Sqrt(headDim);
            bool wide = isa == KernelIsa.Avx512 && headDim % 16 == 0;

            Span<float> scores = length <= 4096 ? stackalloc float[length] : new float[length];
            float max = float.NegativeInfinity;
            for (int j = 0; j < length; j++)
            {
                if (visible is not null && !visible[j] && j != length - 1) { scores[j] = float.NegativeInfinity; continue; }
                float s = (wide ? Dot512(keys + (long)j * headDim, query, headDim) : Dot256(keys + (long)j * headDim, query, headDim)) * scale;
                scores[j] = s;
                if (s > max) max = s;
            }
            float total = SoftmaxRow.ExpInPlace(scores, max);
            float* o = output + (long)item * headDim;
            for (int i = 0; i < headDim; i++) o[i] = 0f;
            for (int j = 0; j < length; j++)
            {
                float p = scores[j];
                if (p == 0f) continue;
                float* row = vals + (long)j * headDim;
                if (wide)
                {
                    var pv = Vector512.Create(p);
                    for (int i = 0; i < headDim; i += 16) Avx512F.Store(o + i, Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(row + i), pv, Avx512F.LoadVector512(o + i)));
                }
                else
                {
                    var pv = Vector256.Create(p);
                    for (int i = 0; i < headDim; i += 8) Avx.Store(o + i, Fma.MultiplyAdd(Avx.LoadVector256(row + i), pv, Avx.LoadVector256(o + i)));
                }
            }
            float inv = 1f / total;
            for (int i = 0; i < headDim; i++) o[i] *= inv;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Dot256(float* a, float* b, int n)
        {
            var s0 = Vector256<float>.Zero; var s1 = Vector256<float>.Zero;
            int i = 0;
            for (; i + 16 <= n; i += 16)
            {
                s0 = Fma.MultiplyAdd(Avx.LoadVector256(a + i), Avx.LoadVector256(b + i), s0);
                s1 = Fma.MultiplyAdd(Avx.LoadVector256(a + i + 8), Avx.LoadVector256(b + i + 8), s1);
            }
            if (i < n) s0 = Fma.MultiplyAdd(Avx.LoadVector256(a + i), Avx.LoadVector256(b + i), s0);
            return Vector256.Sum(s0 + s1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Dot512(float* a, float* b, int n)
        {
            var s0 = Vector512<float>.Zero;
            for (int i = 0; i < n; i += 16) s0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a + i), Avx512F.LoadVector512(b + i), s0);
            return Vector512.Sum(s0);
        }
    }
}
