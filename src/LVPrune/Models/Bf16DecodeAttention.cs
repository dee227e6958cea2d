using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LVPrune.Kernels;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// Attention of one new token over a bf16 KV cache on the CPU: softmax(q K^T / sqrt(d)) V per head,
/// read straight from the cache's preallocated buffers. In a decode step LibTorch runs
/// single-threaded (see Generation.DecodeThreads) and its bf16 scaled-dot-product attention for a
/// single query took about 5.7 ms per 7B layer at 620 cached tokens, a quarter of the step, where
/// reading the 10 MB of keys and values takes well under one. Here each (batch, head) pair is a
/// work item on <see cref="GemvWorkers"/>: scores in fp32 with FMA, an exact fp32 softmax, the
/// weighted sum of values in fp32, one rounding to bf16 at the end. Grouped-query attention maps
/// head h to key-value head h / (H / KvH). Padding: a key is visible when the cache marks it valid,
/// and the query always sees itself (the last key), as in <see cref="AttentionMasks.Mask"/>.
/// Registered as "bf16_decode" (<see cref="AttentionRegistry"/>).
/// </summary>
public sealed class Bf16DecodeAttention : IAttentionFunction
{
    public static Bf16DecodeAttention Instance { get; } = new();

    private Bf16DecodeAttention() { }

    public string Name => AttentionRegistry.Bf16Decode;

    /// <summary>Decode steps of bf16 CPU models without autograd, on a CPU with AVX2 and FMA, head size a multiple of 16.</summary>
    public bool Supports(AttentionPass pass) =>
        Bf16Gemv.Supported && pass is { Queries: 1, Cached: true, DType: ScalarType.BFloat16, Device: TorchSharp.DeviceType.CPU, GradEnabled: false }
        && pass.HeadDim % 16 == 0 && pass.Heads % pass.KvHeads == 0;

    public Tensor Attend(AttentionCall call) =>
        Attend(call.Query, call.Cache ?? throw new InvalidOperationException("bf16_decode reads a KV cache"), call.Masks.HasPadding);

    /// <summary>Whether a query q [B, H, 1, Dh] over <paramref name="cache"/> belongs here under <paramref name="runtime"/> (default options when null).</summary>
    public static bool Applies(Tensor q, KvCache.Layer cache, RuntimeOptions? runtime = null)
    {
        if (!(runtime ?? RuntimeOptions.Default).DecodeKernels || !Bf16Gemv.Supported) return false;
        if (q.dtype != ScalarType.BFloat16 || cache.K.dtype != ScalarType.BFloat16 || cache.V.dtype != ScalarType.BFloat16) return false;
        if (q.device_type != TorchSharp.DeviceType.CPU || cache.K.device_type != TorchSharp.DeviceType.CPU) return false;
        if (q.dim() != 4 || q.shape[2] != 1 || q.shape[^1] % 16 != 0 || q.shape[^1] != cache.K.shape[^1]) return false;
        if (!cache.K.is_contiguous() || !cache.V.is_contiguous() || !cache.Valid.is_contiguous()) return false;
        if (q.shape[1] % cache.K.shape[1] != 0 || cache.Length < 1) return false;
        return !is_grad_enabled() || !q.requires_grad;
    }

    /// <summary>
    /// Output [B, H, 1, Dh] (bf16) of the query q [B, H, 1, Dh] over the first cache.Length entries of the cache.
    /// </summary>
    /// <param name="hasPadding">whether cache.Valid can hold invalid keys (otherwise it is not read)</param>
    public static Tensor Attend(Tensor q, KvCache.Layer cache, bool hasPadding)
    {
        int batch = (int)q.shape[0], heads = (int)q.shape[1], headDim = (int)q.shape[3];
        int kvHeads = (int)cache.K.shape[1], capacity = (int)cache.K.shape[2], length = cache.Length;
        var output = empty([batch, heads, 1, headDim], ScalarType.BFloat16);
        using var qc = q.contiguous();

        // q widened to fp32, scaled by 1/sqrt(d), split into the even and odd elements of each head
        // (the order in which key pairs are widened from 32-bit words).
        var qs = MemoryMarshal.Cast<byte, ushort>(qc.bytes);
        int half = headDim / 2;
        var qEven = new float[batch * heads * half];
        var qOdd = new float[batch * heads * half];
        float scale = 1f / MathF.Sqrt(headDim);
        for (int i = 0; i < batch * heads; i++)
            for (int k = 0; k < half; k++)
            {
                qEven[i * half + k] = BitConverter.Int32BitsToSingle(qs[i * headDim + 2 * k] << 16) * scale;
                qOdd[i * half + k] = BitConverter.Int32BitsToSingle(qs[i * headDim + 2 * k + 1] << 16) * scale;
            }

        unsafe
        {
            var work = new Work(
                (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(cache.K.bytes)),
                (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(cache.V.bytes)),
                hasPadding ? (bool*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(cache.Valid.bytes)) : null,
                (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(output.bytes)),
                qEven, qOdd, heads, kvHeads, capacity, length, headDim);
            GemvWorkers.For(batch * heads, work.Run);
        }
        return output;
    }

    private sealed unsafe class Work(uint* k, uint* v, bool* valid, ushort* output, float[] qEven, float[] qOdd,
                                     int heads, int kvHeads, int capacity, int length, int headDim)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int item)
        {
            int b = item / heads, h = item % heads, kvh = h / (heads / kvHeads);
            int half = headDim / 2;                                   // 32-bit words (bf16 pairs) per row
            long rowsStart = ((long)b * kvHeads + kvh) * capacity;   // first cache row of this (b, kv head)
            uint* keys = k + rowsStart * half, values = v + rowsStart * half;
            bool* visible = valid is null ? null : valid + (long)b * capacity;
            var high = Vector256.Create(0xFFFF0000u);

            Span<float> scores = length <= 4096 ? stackalloc float[length] : new float[length];
            float max = float.NegativeInfinity;
            fixed (float* qe = &qEven[item * half], qo = &qOdd[item * half])
            {
                for (int j = 0; j < length; j++)
                {
                    if (visible is not null && !visible[j] && j != length - 1) { scores[j] = float.NegativeInfinity; continue; }
                    uint* row = keys + (long)j * half;
                    var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
                    for (int i = 0; i < half; i += 8)
                    {
                        var w = Avx.LoadVector256(row + i);
                        a0 = Fma.MultiplyAdd(Avx2.ShiftLeftLogical(w, 16).AsSingle(), Avx.LoadVector256(qe + i), a0);
                        a1 = Fma.MultiplyAdd(Avx2.And(w, high).AsSingle(), Avx.LoadVector256(qo + i), a1);
                    }
                    float s = Vector256.Sum(a0 + a1);
                    scores[j] = s;
                    if (s > max) max = s;
                }
            }

            float total = Kernels.SoftmaxRow.ExpInPlace(scores, max);

            // Σ_j p_j v_j with the even and odd elements of each value row in separate accumulators.
            var even = stackalloc float[half];
            var odd = stackalloc float[half];
            for (int i = 0; i < half; i++) { even[i] = 0f; odd[i] = 0f; }
            for (int j = 0; j < length; j++)
            {
                float p = scores[j];
                if (p == 0f) continue;
                var pv = Vector256.Create(p);
                uint* row = values + (long)j * half;
                for (int i = 0; i < half; i += 8)
                {
                    var w = Avx.LoadVector256(row + i);
                    Avx.Store(even + i, Fma.MultiplyAdd(Avx2.ShiftLeftLogical(w, 16).AsSingle(), pv, Avx.LoadVector256(even + i)));
                    Avx.Store(odd + i, Fma.MultiplyAdd(Avx2.And(w, high).AsSingle(), pv, Avx.LoadVector256(odd + i)));
                }
            }
            ushort* o = output + (long)item * headDim;
            float inv = 1f / total;
            for (int i = 0; i < half; i++)
            {
                o[2 * i] = Bf16Gemv.RoundToBf16(even[i] * inv);
                o[2 * i + 1] = Bf16Gemv.RoundToBf16(odd[i] * inv);
            }
        }
    }
}
