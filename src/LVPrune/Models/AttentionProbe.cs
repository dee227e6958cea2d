using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Models;

/// <summary>
/// A request to observe where a layer's queries attend, computed beside the layer's own attention
/// (which still runs its fused function) and returned in the layer's output record: the caller
/// asks, the layer answers; nothing is written into shared state. Observations are fp32 [B, Tk]:
/// softmax(q k^T / sqrt(d)) averaged over heads, over the keys the layer saw.
/// </summary>
public abstract record AttentionProbe
{
    /// <summary>The observation of one layer [B, Tk].</summary>
    public abstract Tensor Observe(AttentionCall call);

    /// <summary>FastV's ranking signal: the last query row's attention.</summary>
    public static AttentionProbe LastQuery { get; } = new LastQueryProbe();

    /// <summary>sum_r w_r a_r / sum_r w_r over query rows r, with weights <paramref name="rows"/> [B, Tq]
    /// (for example the rows that predict the answer). Cache-free passes: one weight per query.</summary>
    public static AttentionProbe WeightedRows(Tensor rows) => new WeightedRowsProbe(rows);

    /// <summary>mean over heads of softmax(q k^T / sqrt(d)) under the mask, fp32: [B, Tq', Tk] for queries q [B, H, Tq', Dh].</summary>
    protected static Tensor HeadAveraged(Tensor q, AttentionCall call, Tensor allowed)
    {
        var scores = matmul(q.to(ScalarType.Float32), call.KeysPerHead.to(ScalarType.Float32).transpose(2, 3)).div_(call.ScoreDivisor); // [B, H, Tq', Tk]
        scores = scores.masked_fill(allowed.logical_not(), Scalars.NegativeInfinity);
        return scores.softmax(-1).mean([1]);                                        // [B, Tq', Tk]
    }

    private sealed record LastQueryProbe : AttentionProbe
    {
        public override Tensor Observe(AttentionCall call)
        {
            long tq = call.Query.shape[2];
            var allowed = call.Allowed().narrow(2, tq - 1, 1);                       // [B|1, 1, 1, Tk]
            return HeadAveraged(call.Query.narrow(2, tq - 1, 1), call, allowed).squeeze(1); // [B, Tk]
        }
    }

    private sealed record WeightedRowsProbe(Tensor Rows) : AttentionProbe
    {
        private static readonly Scalar Tiny = 1e-12.ToScalar();

        public override Tensor Observe(AttentionCall call)
        {
            var p = HeadAveraged(call.Query, call, call.Allowed());                   // [B, Tq, Tk]
            var w = Rows.to(ScalarType.Float32).to(call.Query.device);               // [B, Tq]
            return matmul(w.unsqueeze(1), p).squeeze(1).div_(w.sum([1], keepdim: true).clamp_min(Tiny)); // [B, Tk]
        }
    }
}
