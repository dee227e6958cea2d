using System.Globalization;
using LVPrune.Images;
using SkiaSharp;

namespace LVPrune.Benchmarks.Report;

/// <summary>
/// The paper's Figure 3 from a <see cref="BenchmarkTable"/>: for each benchmark, one bar per pruned
/// configuration showing its difference (points) to the unpruned row; with no unpruned row, the scores.
/// </summary>
public static class BenchmarkChart
{
    private static readonly SKColor[] Palette =
    [
        new(214, 39, 40), new(255, 127, 14), new(44, 160, 44), new(31, 119, 180), new(148, 103, 189), new(140, 86, 75), new(227, 119, 194),
    ];

    public static void Save(string path, BenchmarkTable table, string title)
    {
        var columns = BenchmarkTable.Table1.Concat(BenchmarkTable.Table2).Where(c => table.Rows.Any(r => r.Scores.ContainsKey(c.Column))).ToList();
        var series = table.Rows.Where(r => !r.IsBase).ToList();
        bool differences = series.Count > 0 && series.All(r => table.BaseOf(r) is not null);
        if (!differences) series = table.Rows.ToList();
        double Value(TableRow r, string c) =>
            !r.Scores.TryGetValue(c, out double v) ? double.NaN
            : differences ? (table.BaseOf(r)!.Scores.TryGetValue(c, out double b) ? v - b : double.NaN) : v;
        var values = series.SelectMany(r => columns.Select(c => Value(r, c.Column))).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        double yMin = Math.Min(0, Math.Floor(values.Min() - 0.5)), yMax = Math.Max(differences ? 1 : 0, Math.Ceiling(values.Max() + 0.5));

        const int left = 60, right = 190, top = 50, bottom = 70;
        using var font = BundledFont.Font(12);
        using var titleFont = BundledFont.Font(15, bold: true);
        int W = Math.Max(560, left + right + columns.Count * Math.Max(80, 20 + 14 * Math.Max(1, series.Count))), H = 420;
        W = Math.Max(W, left + 20 + (int)titleFont.MeasureText(title));
        float Y(double v) => (float)(H - bottom - (v - yMin) / Math.Max(1e-9, yMax - yMin) * (H - top - bottom));
        using var surface = SKSurface.Create(new SKImageInfo(W, H));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1 };
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i <= 5; i++)
        {
            double v = yMin + (yMax - yMin) * i / 5;
            c.DrawLine(left, Y(v), W - right, Y(v), grid);
            c.DrawText(v.ToString("0.#", inv), left - 8, Y(v) + 4, SKTextAlign.Right, font, ink);
        }
        c.DrawLine(left, Y(0), W - right, Y(0), ink);
        float groupWidth = (W - left - right) / (float)Math.Max(1, columns.Count);
        float barWidth = Math.Min(16, (groupWidth - 10) / Math.Max(1, series.Count));
        for (int g = 0; g < columns.Count; g++)
        {
            float x0 = left + g * groupWidth + (groupWidth - barWidth * series.Count) / 2;
            for (int s = 0; s < series.Count; s++)
            {
                double v = Value(series[s], columns[g].Column);
                if (!double.IsFinite(v)) continue;
                using var bar = new SKPaint { Color = Palette[s % Palette.Length], IsAntialias = true };
                float y0 = Y(0), y1 = Y(v);
                c.DrawRect(new SKRect(x0 + s * barWidth, Math.Min(y0, y1), x0 + (s + 1) * barWidth - 1, Math.Max(y0, y1)), bar);
            }
            c.DrawText(columns[g].Title, left + (g + 0.5f) * groupWidth, H - bottom + 18, SKTextAlign.Center, font, ink);
        }
        c.Save(); c.RotateDegrees(-90);
        c.DrawText(differences ? "difference to no pruning (points)" : "score (%)", -(top + H - bottom) / 2f, 18, SKTextAlign.Center, font, ink);
        c.Restore();
        c.DrawText(title, left, 28, SKTextAlign.Left, titleFont, ink);
        for (int s = 0; s < series.Count; s++)
        {
            using var swatch = new SKPaint { Color = Palette[s % Palette.Length] };
            float ly = top + 10 + 20 * s;
            c.DrawRect(new SKRect(W - right + 14, ly - 10, W - right + 26, ly + 2), swatch);
            c.DrawText(series[s].Label, W - right + 32, ly, SKTextAlign.Left, font, ink);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, data.ToArray());
    }
}
