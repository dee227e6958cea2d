namespace LVPrune.Checkpoints;

/// <summary>
/// The one table of checkpoint key renames. LVPrune's module names are the llava-hf keys of
/// transformers before 4.52 ("language_model.model.layers.0…", "vision_tower.vision_model…",
/// "multi_modal_projector…", "language_model.lm_head.weight"); newer transformers saves
/// LlavaForConditionalGeneration as "model.language_model.layers.0…", "model.vision_tower…",
/// "model.multi_modal_projector…", "lm_head.weight". Both load.
/// </summary>
public static class CheckpointKeys
{
    private static readonly (string from, string to)[] Renames =
    [
        ("model.language_model.", "language_model.model."),
        ("model.vision_tower.", "vision_tower."),
        ("model.multi_modal_projector.", "multi_modal_projector."),
        ("lm_head.", "language_model.lm_head."),
    ];

    /// <summary>Buffers some checkpoints carry that are derived, not learned: ignored by name.</summary>
    private static readonly string[] IgnoredSuffixes =
    [
        "vision_tower.vision_model.embeddings.position_ids",
        ".self_attn.rotary_emb.inv_freq",
    ];

    public static string Canonical(string key)
    {
        foreach (var (from, to) in Renames)
            if (key.StartsWith(from, StringComparison.Ordinal)) return to + key[from.Length..];
        return key;
    }

    public static bool IsIgnored(string canonicalKey) => IgnoredSuffixes.Any(s => canonicalKey.EndsWith(s, StringComparison.Ordinal));
}
