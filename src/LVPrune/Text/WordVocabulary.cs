using System.Text;

namespace LVPrune.Text;

/// <summary>
/// Builds a deterministic SentencePiece BPE vocabulary in which every word of a corpus is one
/// piece, for tokenizers of models trained from scratch (the toy world).
/// <para>
/// A "word" is what the tokenizer will see after normalisation (<see cref="Words"/>): an optional
/// leading U+2581 (a space, or the dummy prefix) followed by a maximal run of letters and digits,
/// or by one other character (punctuation). A U+2581 followed by another space, a control
/// character or the end stands alone. Control characters such as "\n" are left out of the
/// vocabulary, so they encode through byte fallback as in LLaMA ("\n" is &lt;0x0A&gt;).
/// </para>
/// <para>
/// Why one token per word: the vocabulary holds every prefix of every word (so "▁cat" brings
/// "▁c", "▁ca", "▁cat") and every single character. BPE always merges some adjacent pair whose
/// concatenation is a piece. Inside a word, the first symbol is a prefix of the word and the
/// second continues it, so their concatenation is again a prefix and a merge is always
/// available until the word is one symbol. No piece can straddle two words: U+2581 occurs only
/// at the start of a piece, and no word has punctuation next to another character except after
/// its U+2581. So whatever order the scores impose, each word ends as exactly one token.
/// </para>
/// </summary>
public static class WordVocabulary
{
    /// <summary>
    /// The pieces (without &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt; and bytes) for <paramref name="corpus"/>,
    /// sorted by length then ordinally. Added tokens (default
    /// <see cref="LlavaTokenizerWriter.AddedTokenContents"/>) are cut out first. Each run of text
    /// is taken both with and without the dummy prefix, so the vocabulary works for every
    /// <see cref="DummyPrefixMode"/>.
    /// </summary>
    public static IReadOnlyList<string> Build(IEnumerable<string> corpus, IEnumerable<string>? addedTokens = null)
    {
        AddedToken[] added = ToAddedTokens(addedTokens);
        var pieces = new HashSet<string>(StringComparer.Ordinal);
        foreach (string text in corpus)
        {
            foreach (AddedTokenSplitter.Part part in AddedTokenSplitter.Split(text, added))
            {
                if (part.Token is not null) continue;
                foreach (DummyPrefixMode mode in new[] { DummyPrefixMode.EverySegment, DummyPrefixMode.None })
                {
                    foreach (string word in SplitWords(SentencePieceText.Normalize(part.Text, part.Start == 0, mode)))
                    {
                        if (Rune.IsControl(Rune.GetRuneAt(word, 0))) continue; // byte fallback
                        int length = 0;
                        foreach (Rune rune in word.EnumerateRunes())
                        {
                            length += rune.Utf16SequenceLength;
                            pieces.Add(word[..length]);
                            pieces.Add(rune.ToString());
                        }
                    }
                }
            }
        }
        return pieces.OrderBy(p => p.Length).ThenBy(p => p, StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The words <paramref name="text"/> becomes, in order, with U+2581 for spaces and each added
    /// token as its own entry. With a vocabulary from <see cref="Build"/> that saw this text, the
    /// tokenizer gives one id per word (a control character gives one id per UTF-8 byte).
    /// </summary>
    public static IReadOnlyList<string> Words(string text, DummyPrefixMode mode = DummyPrefixMode.EverySegment,
        IEnumerable<string>? addedTokens = null)
    {
        var words = new List<string>();
        foreach (AddedTokenSplitter.Part part in AddedTokenSplitter.Split(text, ToAddedTokens(addedTokens)))
        {
            if (part.Token is not null) words.Add(part.Text);
            else words.AddRange(SplitWords(SentencePieceText.Normalize(part.Text, part.Start == 0, mode)));
        }
        return words;
    }

    private static AddedToken[] ToAddedTokens(IEnumerable<string>? addedTokens) =>
        AddedTokenSplitter.LongestFirst((addedTokens ?? LlavaTokenizerWriter.AddedTokenContents).Select(t => new AddedToken(t, -1)));

    /// <summary>Splits normalised text (spaces already U+2581) into words as described on the class.</summary>
    private static IEnumerable<string> SplitWords(string s)
    {
        int i = 0;
        while (i < s.Length)
        {
            int start = i;
            if (s[i] == SentencePieceModelWriter.SpaceSymbol) i++;
            if (i < s.Length && s[i] != SentencePieceModelWriter.SpaceSymbol)
            {
                Rune first = Rune.GetRuneAt(s, i);
                if (!Rune.IsControl(first) || i == start)
                {
                    i += first.Utf16SequenceLength;
                    if (Rune.IsLetterOrDigit(first))
                    {
                        while (i < s.Length && Rune.IsLetterOrDigit(Rune.GetRuneAt(s, i))) i += Rune.GetRuneAt(s, i).Utf16SequenceLength;
                    }
                }
            }
            yield return s[start..i];
        }
    }
}
