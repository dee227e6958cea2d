using System.Globalization;
using SkiaSharp;

namespace LVPrune.Evaluation;

/// <summary>Accuracy against prefill FLOPs, one line per method (as the paper's Figure 5), drawn with SkiaSharp.</summary>
public static class TradeoffPlot
{
    private static readonly Dictionary<string, SKColor> Colors = new()
    {
        ["none"] = new SKColor(40, 40, 40), ["lvpruning"] = new SKColor(214, 39, 40), ["random"] = new SKColor(31, 119, 180), ["fastv"] = new SKColor(44, 160, 44),
    };

    public static void Save(string path, IReadOnlyList<SweepRow> rows, string title)
    {
        const int W = 760, H = 480, left = 70, right = 170, top = 50, bottom = 60;
        bool giga = rows.Max(r => r.Tflops) < 0.1;
        double Scale(double tflops) => giga ? tflops * 1e3 : tflops;
        double xMin = 0, xMax = rows.Max(r => Scale(r.Tflops)) * 1.08;
        double yMin = Math.Max(0, Math.Floor(rows.Min(r => r.Report.Accuracy) * 10 - 0.5) / 10), yMax = Math.Min(1, Math.Ceiling(rows.Max(r => r.Report.Accuracy) * 10 + 0.2) / 10);
        float X(double v) => (float)(left + (v - xMin) / (xMax - xMin) * (W - left - right));
        float Y(double v) => (float)(H - bottom - (v - yMin) / Math.Max(1e-9, yMax - yMin) * (H - top - bottom));
        using var surface = SKSurface.Create(new SKImageInfo(W, H));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1.5f, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1 };
        using var font = Images.BundledFont.Font(13);
        using var titleFont = Images.BundledFont.Font(15, bold: true);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i <= 5; i++)
        {
            double yv = yMin + (yMax - yMin) * i / 5, xv = xMin + (xMax - xMin) * i / 5;
            c.DrawLine(left, Y(yv), W - right, Y(yv), grid);
            c.DrawLine(X(xv), top, X(xv), H - bottom, grid);
            c.DrawText((100 * yv).ToString("F0", inv), left - 8, Y(yv) + 4, SKTextAlign.Right, font, ink);
            c.DrawText(xv.ToString(giga ? "F3" : "F2", inv), X(xv), H - bottom + 18, SKTextAlign.Center, font, ink);
        }
        c.DrawLine(left, H - bottom, W - right, H - bottom, axis);
        c.DrawLine(left, top, left, H - bottom, axis);
        c.DrawText(giga ? "prefill GFLOPs" : "prefill TFLOPs", (left + W - right) / 2f, H - 18, SKTextAlign.Center, font, ink);
        c.Save(); c.RotateDegrees(-90); c.DrawText("accuracy (%)", -(top + H - bottom) / 2f, 20, SKTextAlign.Center, font, ink); c.Restore();
        c.DrawText(title, left, 28, SKTextAlign.Left, titleFont, ink);
        int legend = 0;
        foreach (var group in rows.GroupBy(r => r.Method))
        {
            var color = Colors.GetValueOrDefault(group.Key, SKColors.Purple);
            using var line = new SKPaint { Color = color, StrokeWidth = 2.5f, IsAntialias = true, IsStroke = true };
            using var dot = new SKPaint { Color = color, IsAntialias = true };
            var points = group.OrderBy(r => r.Tflops).Select(r => new SKPoint(X(Scale(r.Tflops)), Y(r.Report.Accuracy))).ToArray();
            for (int i = 1; i < points.Length; i++) c.DrawLine(points[i - 1], points[i], line);
            foreach (var p in points) c.DrawCircle(p, group.Key == "none" ? 6 : 4.5f, dot);
            float ly = top + 10 + 22 * legend++;
            c.DrawCircle(W - right + 22, ly - 4, 5, dot);
            c.DrawText(group.Key, W - right + 34, ly, SKTextAlign.Left, font, ink);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, data.ToArray());
    }
}
