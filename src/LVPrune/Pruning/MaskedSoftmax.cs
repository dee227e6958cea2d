using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// Training-mode LVPruning's attention (paper eq. 7-9): no token is removed; instead, in every layer
/// after a stage, a pruned vision token contributes to no other token, while gradients still reach
/// the decisions D.
///   M[i, j] = 1 if i == j or j is a text token, D[j] if i != j and j is a vision token   (eq. 7)
///   A_bar = Q K^T / sqrt(d) + the causal/padding mask (the model's own mask first)
///   A_hat = Softmax_hat(A_bar, M)                                                        (eq. 8)
///   Softmax_hat(A, M)[i, j] = exp(A[i, j]) M[i, j] / sum_k exp(A[i, k]) M[i, k]           (eq. 9)
/// Computed stably in fp32: the row maximum is subtracted before exp and <see cref="Epsilon"/> is added
/// to the denominator. An attention function (Models.IAttentionFunction) that a training-mode stage
/// hands to the decoder for the layers after it.
/// </summary>
public sealed class MaskedSoftmax : IAttentionFunction
{
    public const string FunctionName = "masked_softmax";

    /// <summary>Epsilon of the denominator.</summary>
    public const double Epsilon = 1e-6;

    private static readonly Scalar Eps = Epsilon.ToScalar();

    /// <param name="softKeep">keep weight of every key [B, T]: D[j] on vision tokens, 1 on text</param>
    /// <param name="keyIsImage">which keys are vision tokens [B, T]</param>
    public MaskedSoftmax(Tensor softKeep, Tensor keyIsImage)
    {
        SoftKeep = softKeep;
        KeyIsImage = keyIsImage;
    }

    public Tensor SoftKeep { get; }
    public Tensor KeyIsImage { get; }

    public string Name => FunctionName;

    /// <summary>A cache-free pass over the whole sequence (the keep weights cover every key).</summary>
    public bool Supports(AttentionPass pass) => !pass.Cached;

    /// <summary>The same attention with other keep weights (the same keys).</summary>
    public MaskedSoftmax WithKeep(Tensor softKeep) => new(softKeep, KeyIsImage);

    public Tensor Attend(AttentionCall call)
    {
        long tk = call.Key.shape[2];
        if (SoftKeep.shape[1] != tk)
            throw new InvalidOperationException("training-mode keep weights need the whole sequence in one pass (no KV cache)");
        var p = Probabilities(call.MaskedScores(), call.Past, SoftKeep, KeyIsImage);       // [B, H, Tq, Tk]
        return matmul(p.to(call.Value.dtype), call.ValuesPerHead);                        // [B, H, Tq, Dh]
    }

    /// <summary>A_hat (eq. 8-9) from the masked scores A_bar [B, H, Tq, Tk] of queries at past..past+Tq-1.</summary>
    public static Tensor Probabilities(Tensor maskedScores, int past, Tensor softKeep, Tensor keyIsImage)
    {
        using var scope = NewDisposeScope();
        long tq = maskedScores.shape[2], tk = maskedScores.shape[3];
        var rowMax = maskedScores.amax([-1], keepdim: true).detach();
        var e = (maskedScores - rowMax).exp();                                             // [B, H, Tq, Tk]
        // M [B, 1, Tq, Tk] (eq. 7): D[j] on image keys except the diagonal, 1 elsewhere.
        var (qpos, kpos) = AttentionMasks.Positions(past, tq, tk, maskedScores.device);
        var eye = qpos.eq(kpos);                                                           // [Tq, Tk]
        var d = softKeep.to(ScalarType.Float32).unsqueeze(1).unsqueeze(1);                // [B, 1, 1, Tk]
        var imageKey = keyIsImage.unsqueeze(1).unsqueeze(1);                               // [B, 1, 1, Tk]
        var m = where(imageKey.logical_and(eye.logical_not().view(1, 1, tq, tk)), d, ones_like(d));
        var weighted = e * m;
        return (weighted / (weighted.sum([-1], keepdim: true).PlusInPlace(Eps))).MoveToOuterDisposeScope();
    }
}
