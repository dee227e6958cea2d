namespace LVPrune.Text;

/// <summary>
/// The normalisation LLaMA's SentencePiece model applies to a run of plain text: spaces become
/// U+2581 (nothing is squeezed or trimmed: remove_extra_whitespaces is false) and the dummy-prefix
/// U+2581 is put in front according to the <see cref="DummyPrefixMode"/>.
/// </summary>
internal static class SentencePieceText
{
    /// <param name="run">Plain text between added tokens.</param>
    /// <param name="startsText">Whether the run begins at offset 0 of the whole text.</param>
    public static string Normalize(string run, bool startsText, DummyPrefixMode mode)
    {
        string escaped = run.Replace(' ', SentencePieceModelWriter.SpaceSymbol);
        bool prefix = mode switch
        {
            DummyPrefixMode.EverySegment => true,
            // Metaspace(prepend_scheme="first") prepends only at offset 0 and not before an existing U+2581.
            DummyPrefixMode.FirstSegment => startsText && escaped[0] != SentencePieceModelWriter.SpaceSymbol,
            _ => false,
        };
        return prefix ? SentencePieceModelWriter.SpaceSymbol + escaped : escaped;
    }
}
