using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// What a decoder layer receives (Microsoft.ML.GenAI's input records): the hidden states and what the
/// decoder decided once for the whole forward segment: rotary tables of the tokens' positions, the
/// masks, this layer's cache, the attention function, and an optional probe.
/// </summary>
/// <param name="Hidden">[B, T, D]</param>
/// <param name="Cos">rotary cos for the T tokens' positions [B, 1, T, Dh]</param>
/// <param name="Sin">rotary sin [B, 1, T, Dh]</param>
/// <param name="TokensValid">which of the T tokens are real [B, T] (bool)</param>
/// <param name="Masks">the segment's masks</param>
/// <param name="Cache">this layer's KV cache, or null for a cache-free pass</param>
/// <param name="Attention">how to attend (chosen by the decoder)</param>
/// <param name="Probe">an attention observation to return, or null</param>
public sealed record DecoderLayerInput(Tensor Hidden, Tensor Cos, Tensor Sin, Tensor TokensValid, AttentionMasks Masks,
                                       KvCache.Layer? Cache, IAttentionFunction Attention, AttentionProbe? Probe = null);

/// <summary>A decoder layer's result: hidden states [B, T, D] and, when a probe asked, its observation [B, Tk] fp32.</summary>
public sealed record DecoderLayerOutput(Tensor Hidden, Tensor? Observation = null);

/// <summary>The self-attention's result: o_proj output [B, T, D] and the probe's observation.</summary>
public sealed record AttentionOutput(Tensor Output, Tensor? Observation = null);
