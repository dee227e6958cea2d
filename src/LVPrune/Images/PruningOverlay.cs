using SkiaSharp;

namespace LVPrune.Images;

/// <summary>
/// Draws the image the model saw once per pruning stage, with the patches that stage kept at full
/// brightness and the pruned ones dimmed, side by side with a caption each, as a PNG. Text is drawn
/// with the bundled font (<see cref="BundledFont"/>).
/// </summary>
public static class PruningOverlay
{
    /// <param name="modelInput">the preprocessed image before normalisation (S x S), e.g. ClipPreprocessor.PrepareImage</param>
    /// <param name="grid">patches per side</param>
    /// <param name="panels">caption and kept patch indices (row-major) per panel; null = all kept</param>
    public static void Save(string path, RgbImage modelInput, int grid, IReadOnlyList<(string Caption, IReadOnlyCollection<int>? Kept)> panels, int scale = 0) =>
        SaveRows(path, modelInput, grid, [(null, panels)], scale);

    /// <summary>Several rows of panels (for example one row per question), each with an optional title.</summary>
    public static void SaveRows(string path, RgbImage modelInput, int grid,
                                IReadOnlyList<(string? Title, IReadOnlyList<(string Caption, IReadOnlyCollection<int>? Kept)> Panels)> rows, int scale = 0)
    {
        if (scale <= 0) scale = Math.Max(1, 192 / modelInput.Width);
        int side = modelInput.Width * scale, captionHeight = 20, titleHeight = 22, gap = 8;
        int columns = rows.Max(r => r.Panels.Count);
        int rowHeight = titleHeight + side + captionHeight + gap;
        using var surface = SKSurface.Create(new SKImageInfo(columns * (side + gap) + gap, rows.Count * rowHeight + gap));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var source = ImageIO.ToSKBitmap(modelInput);
        using var image = SKImage.FromBitmap(source);
        using var dim = new SKPaint { Color = new SKColor(0, 0, 0, 170) };
        using var frame = new SKPaint { Color = new SKColor(255, 200, 0), IsStroke = true, StrokeWidth = 1 };
        using var font = BundledFont.Font(13);
        using var bold = BundledFont.Font(14, bold: true);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        float patch = (float)side / grid;
        for (int row = 0; row < rows.Count; row++)
        {
            float top = gap + row * rowHeight;
            if (rows[row].Title is { } title) canvas.DrawText(title, gap, top + titleHeight - 6, SKTextAlign.Left, bold, text);
            var panels = rows[row].Panels;
            for (int p = 0; p < panels.Count; p++)
            {
                float x0 = gap + p * (side + gap), y0 = top + titleHeight;
                canvas.DrawImage(image, new SKRect(x0, y0, x0 + side, y0 + side), new SKSamplingOptions(SKFilterMode.Nearest));
                if (panels[p].Kept is { } kept)
                {
                    var set = kept as ISet<int> ?? kept.ToHashSet();
                    for (int i = 0; i < grid * grid; i++)
                    {
                        var r = new SKRect(x0 + (i % grid) * patch, y0 + (i / grid) * patch, x0 + (i % grid + 1) * patch, y0 + (i / grid + 1) * patch);
                        canvas.DrawRect(r, set.Contains(i) ? frame : dim);
                    }
                }
                canvas.DrawText(panels[p].Caption, x0, y0 + side + captionHeight - 5, SKTextAlign.Left, font, text);
            }
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, data.ToArray());
    }
}
