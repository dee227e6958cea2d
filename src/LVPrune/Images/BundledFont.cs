using SkiaSharp;

namespace LVPrune.Images;

/// <summary>
/// The typeface LVPrune draws captions with: a Latin subset of DejaVu Sans embedded in this assembly
/// (assets/fonts/, with its licence). SkiaSharp's dependency-free native build has no font manager,
/// so <see cref="SKTypeface.Default"/> there draws nothing at all; a bundled font draws the same
/// everywhere.
/// </summary>
public static class BundledFont
{
    public const string ResourceName = "LVPrune.Fonts.DejaVuSans.ttf";

    private static readonly Lazy<SKTypeface> _regular = new(Load);

    /// <summary>DejaVu Sans (shared; do not dispose).</summary>
    public static SKTypeface Regular => _regular.Value;

    /// <summary>A font of the bundled typeface; <paramref name="bold"/> emboldens the outlines (the subset holds one weight).</summary>
    public static SKFont Font(float size, bool bold = false) => new(Regular, size) { Embolden = bold, Subpixel = true };

    private static SKTypeface Load()
    {
        using var stream = typeof(BundledFont).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded font {ResourceName} is missing from the LVPrune assembly");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"embedded font {ResourceName} does not load");
    }
}
