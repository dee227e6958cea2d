using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>
/// Training-mode decisions accumulate across stages (paper eq. 10): D_l' &lt;- D_l ⊙ D_l', element-wise, so a
/// vision token an earlier stage pruned is never used again. A pure function of the previous stage's
/// decisions: the decoder hands them to the next stage (Models.StageInput.PreviousImageKeep).
/// </summary>
public static class CumulativeDecisions
{
    /// <param name="previous">D of the previous stage over the image tokens [B, Nv] (with its graph), or null at the first stage</param>
    /// <param name="current">this stage's own decisions D^GS[:, 0] [B, Nv]</param>
    /// <returns>D of this stage [B, Nv]</returns>
    public static Tensor Apply(Tensor? previous, Tensor current) => previous is null ? current : current * previous;
}
