using LVPrune.Images;

namespace LVPrune.Tests.Images;

internal static class TestImages
{
    /// <summary>The deterministic high-frequency pattern of pil_reference.py (strong edges exercise PIL's clamping).</summary>
    public static RgbImage Pattern(int w, int h)
    {
        var img = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img.SetPixel(x, y, (byte)((x * 37 + y * 11) & 255), (byte)((x * x * 7 + y * 29 + 13) & 255), (byte)((((x ^ y) * 53) + 101) & 255));
        return img;
    }

    /// <summary>A smooth gradient (what lossy codecs reproduce well).</summary>
    public static RgbImage Gradient(int w, int h)
    {
        var img = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img.SetPixel(x, y, (byte)(40 + 160 * x / (w - 1)), (byte)(30 + 180 * y / (h - 1)), (byte)(200 - 100 * (x + y) / (w + h - 2)));
        return img;
    }

    /// <summary>0 .. count-1, for theories over the rows of a reference table.</summary>
    public static TheoryData<int> Indices(int count) => new(Enumerable.Range(0, count));

    /// <summary>A fresh empty folder under the system temp folder, deleted on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir() => Directory.CreateDirectory(Path);
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lvprune-images-" + Guid.NewGuid().ToString("N"));
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { }
        }
    }
}
