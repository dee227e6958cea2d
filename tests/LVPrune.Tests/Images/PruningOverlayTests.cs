using LVPrune.Images;

namespace LVPrune.Tests.Images;

/// <summary>The overlays' captions are really drawn: with the bundled font the caption strip holds dark
/// text pixels on white (SkiaSharp's dependency-free build drew nothing with its default typeface).</summary>
public class PruningOverlayTests
{
    [Fact]
    public void Captions_AreDrawnWithTheBundledFont()
    {
        using var dir = new TestImages.TempDir();
        string path = dir.File("overlay.png");
        var input = RgbImage.Filled(48, 48, 200, 200, 200);
        PruningOverlay.SaveRows(path, input, 4, [("a title", [("all patches", null), ("after layer 0: 3 kept", [0, 5, 10])])], scale: 4);

        var png = ImageIO.Load(path);
        int side = 48 * 4, titleHeight = 22, gap = 8, captionHeight = 20;
        int Dark(int x0, int y0, int w, int h)
        {
            int dark = 0;
            for (int y = y0; y < y0 + h; y++)
                for (int x = x0; x < x0 + w; x++)
                {
                    int i = 3 * (y * png.Width + x);
                    if (png.Rgb[i] < 128 && png.Rgb[i + 1] < 128 && png.Rgb[i + 2] < 128) dark++;
                }
            return dark;
        }
        int captionTop = gap + titleHeight + side;
        Assert.True(Dark(gap, captionTop, side, captionHeight) > 40, "the first panel's caption has no text pixels");
        Assert.True(Dark(2 * gap + side, captionTop, side, captionHeight) > 40, "the second panel's caption has no text pixels");
        Assert.True(Dark(gap, gap, side, titleHeight) > 20, "the row title has no text pixels");
        // The caption strip of an empty area (right of the last panel's text) stays white.
        Assert.Equal(0, Dark(2 * gap + side + side - 20, captionTop, 20, captionHeight));
    }

    [Fact]
    public void BundledFont_HasTheGlyphsOfCaptionsAndChartLabels()
    {
        using var font = BundledFont.Font(13);
        var glyphs = font.GetGlyphs("after layer 0: 72 kept -> 43 (ü, é, –); LVPruning ρ=0.5");
        Assert.DoesNotContain((ushort)0, glyphs);
        Assert.Equal("DejaVu Sans", BundledFont.Regular.FamilyName);
    }
}
