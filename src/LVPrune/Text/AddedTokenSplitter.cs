namespace LVPrune.Text;

/// <summary>
/// Cuts a text into runs of plain text and added tokens, the way Hugging Face's added-vocabulary
/// does before normalisation: scanning left to right, the longest added token that starts at a
/// position wins.
/// </summary>
internal static class AddedTokenSplitter
{
    /// <summary>A part of the split text: either plain text (Token null) or one added token.
    /// <see cref="Start"/> is the part's offset in the original text.</summary>
    internal readonly record struct Part(int Start, string Text, AddedToken? Token);

    /// <summary>The tokens in the order <see cref="Split"/> tries them: longest first.</summary>
    public static AddedToken[] LongestFirst(IEnumerable<AddedToken> tokens) => tokens.Where(t => t.Content.Length > 0)
        .OrderByDescending(t => t.Content.Length).ThenBy(t => t.Content, StringComparer.Ordinal).ToArray();

    /// <param name="longestFirst">The added tokens, sorted by <see cref="LongestFirst"/>.</param>
    public static List<Part> Split(string text, AddedToken[] longestFirst)
    {
        var parts = new List<Part>();
        int segmentStart = 0, i = 0;
        while (i < text.Length)
        {
            AddedToken? match = Array.Find(longestFirst, t => text.AsSpan(i).StartsWith(t.Content, StringComparison.Ordinal));
            if (match is null)
            {
                i++;
                continue;
            }
            int segmentEnd = i;
            if (match.LStrip) while (segmentEnd > segmentStart && char.IsWhiteSpace(text[segmentEnd - 1])) segmentEnd--;
            AddText(parts, text, segmentStart, segmentEnd);
            parts.Add(new Part(i, match.Content, match));
            i += match.Content.Length;
            if (match.RStrip) while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            segmentStart = i;
        }
        AddText(parts, text, segmentStart, text.Length);
        return parts;
    }

    private static void AddText(List<Part> parts, string text, int start, int end)
    {
        if (end > start) parts.Add(new Part(start, text[start..end], null));
    }
}
