using SkiaSharp;

namespace LVPrune.Benchmarks.Report;

/// <summary>
/// A typeface for chart text. The SkiaSharp native build the project uses (NativeAssets.Linux.NoDependencies)
/// has no fontconfig, so <see cref="SKTypeface.Default"/> and family names give a typeface without glyphs
/// on Linux and text silently vanishes; a font file from the usual system places is loaded instead.
/// </summary>
public static class ChartFont
{
    private static readonly string[] Regular =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "/usr/share/fonts/truetype/lato/Lato-Regular.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Helvetica.ttc", @"C:\Windows\Fonts\arial.ttf",
    ];

    private static readonly string[] Bold =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", "/usr/share/fonts/truetype/lato/Lato-Bold.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf", @"C:\Windows\Fonts\arialbd.ttf",
    ];

    private static readonly Lazy<SKTypeface> _regular = new(() => Load(Regular, SKFontStyle.Normal));
    private static readonly Lazy<SKTypeface> _bold = new(() => Load(Bold, SKFontStyle.Bold));

    public static SKTypeface Typeface(bool bold = false) => bold ? _bold.Value : _regular.Value;

    private static SKTypeface Load(string[] candidates, SKFontStyle style)
    {
        foreach (string path in candidates)
            if (File.Exists(path) && SKTypeface.FromFile(path) is { } face && face.GlyphCount > 0) return face;
        return SKTypeface.FromFamilyName(null, style) ?? SKTypeface.Default;
    }
}
