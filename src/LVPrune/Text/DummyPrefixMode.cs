namespace LVPrune.Text;

/// <summary>
/// Where SentencePiece's dummy-prefix space (U+2581) goes when a text is cut into pieces by added
/// tokens such as &lt;image&gt;. Hugging Face tokenizers differ here, and the difference shows in
/// the ids: "USER: &lt;image&gt;\nWhat" gives [..., 29871, 32000, 29871, 13, 5618] with
/// <see cref="EverySegment"/> and [..., 29871, 32000, 13, 5618] with <see cref="FirstSegment"/>.
/// </summary>
public enum DummyPrefixMode
{
    /// <summary>Every run of text between added tokens gets its own leading U+2581. This is the
    /// "legacy" Llama behaviour: tokenizer.json normaliser Sequence[Prepend("▁"), Replace(" ", "▁")],
    /// used by llava-hf/llava-1.5-7b-hf's fast tokenizer, and what original LLaVA's
    /// tokenizer_image_token produced by tokenizing the chunks around &lt;image&gt; separately.</summary>
    EverySegment,

    /// <summary>Only a run that starts the text gets U+2581, unless it already starts with a space
    /// ("legacy": false; tokenizer.json pre-tokeniser Metaspace with prepend_scheme "first").</summary>
    FirstSegment,

    /// <summary>No dummy prefix at all (add_dummy_prefix false, prepend_scheme "never").</summary>
    None,
}
