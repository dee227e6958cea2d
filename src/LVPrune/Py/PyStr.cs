using System.Globalization;
using System.Text;

namespace LVPrune.Py;

/// <summary>
/// Python 3 <c>str</c> semantics the official evaluation scripts rely on, where .NET's differ:
/// what counts as white space for <c>split()</c> and <c>strip()</c>, <c>lower()</c> (full case
/// mapping: "İ" becomes "i̇" and a word-final "Σ" becomes "ς"), and lengths in code points.
/// </summary>
public static class PyStr
{
    /// <summary>
    /// Python's <c>str.isspace</c> for one code point: bidirectional class WS, B or S, or category
    /// Zs. Unlike <see cref="char.IsWhiteSpace(char)"/> this includes U+001C..U+001F.
    /// </summary>
    public static bool IsSpace(int codePoint) => codePoint switch
    {
        >= 0x09 and <= 0x0D => true,
        >= 0x1C and <= 0x20 => true,
        0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary><c>s.split()</c>: runs of white space separate, none are kept, no empty words.</summary>
    public static List<string> Split(string s)
    {
        var words = new List<string>();
        int start = -1;
        for (int i = 0; i < s.Length; i++)
        {
            bool space = IsSpace(s[i]); // every Python white space character is in the BMP
            if (space && start >= 0) { words.Add(s[start..i]); start = -1; }
            else if (!space && start < 0) start = i;
        }
        if (start >= 0) words.Add(s[start..]);
        return words;
    }

    /// <summary><c>s.strip()</c>.</summary>
    public static string Strip(string s)
    {
        int a = 0, b = s.Length;
        while (a < b && IsSpace(s[a])) a++;
        while (b > a && IsSpace(s[b - 1])) b--;
        return s[a..b];
    }

    /// <summary><c>s.rstrip(chars)</c>: removes trailing characters found in <paramref name="chars"/>.</summary>
    public static string RStrip(string s, string chars)
    {
        int b = s.Length;
        while (b > 0 && chars.Contains(s[b - 1], StringComparison.Ordinal)) b--;
        return s[..b];
    }

    /// <summary><c>len(s)</c>: code points, not UTF-16 units.</summary>
    public static int Length(string s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }

    /// <summary>
    /// <c>s.lower()</c>: simple lower-case mapping per code point, plus the two full mappings
    /// Python applies that .NET's invariant lower-casing does not: U+0130 becomes "i" + U+0307,
    /// and capital sigma becomes final sigma when it ends a word (preceded by a cased letter and
    /// not followed by one, case-ignorable characters skipped).
    /// </summary>
    public static string Lower(string s)
    {
        bool ascii = true;
        foreach (char c in s) if (c > 0x7F) { ascii = false; break; }
        if (ascii) return s.ToLowerInvariant();

        var runes = new List<Rune>();
        foreach (Rune r in s.EnumerateRunes()) runes.Add(r);
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < runes.Count; i++)
        {
            Rune r = runes[i];
            if (r.Value == 0x0130) sb.Append("i\u0307");
            else if (r.Value == 0x03A3) sb.Append(IsFinalSigma(runes, i) ? '\u03C2' : '\u03C3');
            else sb.Append(Rune.ToLowerInvariant(r).ToString());
        }
        return sb.ToString();
    }

    // Unicode's Final_Sigma condition, as CPython's handle_capital_sigma implements it.
    private static bool IsFinalSigma(List<Rune> runes, int i)
    {
        int j = i - 1;
        while (j >= 0 && IsCaseIgnorable(runes[j])) j--;
        bool before = j >= 0 && IsCased(runes[j]);
        if (!before) return false;
        j = i + 1;
        while (j < runes.Count && IsCaseIgnorable(runes[j])) j++;
        return j == runes.Count || !IsCased(runes[j]);
    }

    private static bool IsCased(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        || Rune.ToLowerInvariant(r) != r || Rune.ToUpperInvariant(r) != r;

    private static bool IsCaseIgnorable(Rune r) =>
        r.Value is '\'' or '.' or ':' or '^' or '`' or 0xAD or 0xB7 or 0x2019
        || Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
