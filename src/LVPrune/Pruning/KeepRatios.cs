using System.Globalization;

namespace LVPrune.Pruning;

/// <summary>
/// Per-stage keep ratios rho_s, each a fraction of the ORIGINAL vision-token count (paper sec. 3.3).
/// `--keep r1,r2,r3` gives them directly; `--rho R` means [R, R-0.2, R-0.4] (the paper's schedule).
/// </summary>
public static class KeepRatios
{
    public static double[] FromRho(double rho, int stages = 3)
    {
        if (!(rho > 0 && rho <= 1)) throw new LVPruneException($"--rho must be in (0, 1], got {rho.ToString(CultureInfo.InvariantCulture)}");
        return Enumerable.Range(0, stages).Select(s => Math.Round(rho - 0.2 * s, 10)).ToArray();
    }

    public static double[] Parse(string text, string flag = "--keep")
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new LVPruneException($"{flag} needs comma-separated ratios, e.g. 0.5,0.3,0.1");
        var ratios = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out ratios[i]) || !(ratios[i] >= 0 && ratios[i] <= 1))
                throw new LVPruneException($"{flag}: '{parts[i]}' is not a ratio in [0, 1]");
        Validate(ratios, flag);
        return ratios;
    }

    public static void Validate(IReadOnlyList<double> ratios, string flag = "--keep")
    {
        for (int i = 1; i < ratios.Count; i++)
            if (ratios[i] > ratios[i - 1] + 1e-12)
                throw new LVPruneException($"{flag}: ratios must not increase from stage to stage ({ratios[i - 1]} then {ratios[i]}); a pruned token stays pruned");
    }

    /// <summary>
    /// The budget rule of the paper's inference (sec. 3.3, with eq. 13): k = rho x N of the N original
    /// image tokens, as max(1, floor(rho N)) (Python's int(), as DynamicViT-style code does; a 1e-9
    /// guard keeps 0.5 x 576 = 288 exact). The one place this rule lives: every selector and the FLOPs
    /// model count with it, so the cost reported is the cost run.
    /// </summary>
    public static int Count(double ratio, int imageTokens) => Math.Max(1, (int)Math.Floor(ratio * imageTokens + 1e-9));

    /// <summary>k_s = <see cref="Count"/>(rho_s, N) per stage, never more than the previous stage.</summary>
    public static int[] Counts(IReadOnlyList<double> ratios, int imageTokens)
    {
        var counts = new int[ratios.Count];
        for (int s = 0; s < ratios.Count; s++)
        {
            int k = Count(ratios[s], imageTokens);
            counts[s] = Math.Min(k, s == 0 ? imageTokens : counts[s - 1]);
        }
        return counts;
    }

    /// <summary>Default stage layers for a decoder depth: after the first layer, a quarter and half way
    /// (0-based 0, 7, 15 for 32 layers: "after layers 1, 8, 16"), kept strictly increasing.</summary>
    public static int[] DefaultLayers(int decoderLayers, int stages = 3)
    {
        int[] wanted = [0, decoderLayers / 4 - 1, decoderLayers / 2 - 1];
        var layers = new int[Math.Min(stages, 3)];
        for (int s = 0; s < layers.Length; s++)
            layers[s] = Math.Max(wanted[s], s == 0 ? 0 : layers[s - 1] + 1);
        if (layers[^1] >= decoderLayers - 1 && decoderLayers > 1)
            throw new LVPruneException($"a {decoderLayers}-layer decoder is too shallow for {layers.Length} pruning stages");
        return layers;
    }
}
