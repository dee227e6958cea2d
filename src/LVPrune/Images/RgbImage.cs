namespace LVPrune.Images;

/// <summary>
/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B (the layout of a PIL "RGB"
/// image and of numpy's <c>np.array(img)</c>, shape [Height, Width, 3]).
/// </summary>
public sealed class RgbImage
{
    /// <summary>Wraps <paramref name="rgb"/> (not copied): Width * Height * 3 bytes.</summary>
    public RgbImage(int width, int height, byte[] rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (rgb.LongLength != (long)width * height * 3)
            throw new ArgumentException($"{width}x{height} RGB image needs {(long)width * height * 3} bytes, got {rgb.LongLength}", nameof(rgb));
        Width = width;
        Height = height;
        Rgb = rgb;
    }

    /// <summary>A black image.</summary>
    public RgbImage(int width, int height) : this(width, height, new byte[checked(width * height * 3)]) { }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Interleaved pixels, index (y * Width + x) * 3 + channel.</summary>
    public byte[] Rgb { get; }

    /// <summary>An image of one colour (PIL's <c>Image.new("RGB", size, color)</c>).</summary>
    public static RgbImage Filled(int width, int height, byte r, byte g, byte b)
    {
        var img = new RgbImage(width, height);
        var px = img.Rgb;
        for (int i = 0; i < px.Length; i += 3)
        {
            px[i] = r;
            px[i + 1] = g;
            px[i + 2] = b;
        }
        return img;
    }

    public (byte R, byte G, byte B) GetPixel(int x, int y)
    {
        int i = Index(x, y);
        return (Rgb[i], Rgb[i + 1], Rgb[i + 2]);
    }

    public void SetPixel(int x, int y, byte r, byte g, byte b)
    {
        int i = Index(x, y);
        Rgb[i] = r;
        Rgb[i + 1] = g;
        Rgb[i + 2] = b;
    }

    /// <summary>A deep copy.</summary>
    public RgbImage Clone() => new(Width, Height, (byte[])Rgb.Clone());

    /// <summary>The <paramref name="width"/> x <paramref name="height"/> block whose top-left pixel is (left, top); it must lie inside the image.</summary>
    public RgbImage Crop(int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > Width || top + height > Height)
            throw new ArgumentOutOfRangeException(nameof(left), $"crop ({left},{top}) {width}x{height} is outside the {Width}x{Height} image");
        var outImg = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            Array.Copy(Rgb, ((top + y) * Width + left) * 3, outImg.Rgb, y * width * 3, width * 3);
        return outImg;
    }

    /// <summary>Copies <paramref name="src"/> with its top-left pixel at (left, top), clipped to this image (PIL's <c>paste</c>).</summary>
    public void Paste(RgbImage src, int left, int top)
    {
        ArgumentNullException.ThrowIfNull(src);
        int x0 = Math.Max(0, left), y0 = Math.Max(0, top);
        int x1 = Math.Min(Width, left + src.Width), y1 = Math.Min(Height, top + src.Height);
        if (x1 <= x0 || y1 <= y0) return;
        for (int y = y0; y < y1; y++)
            Array.Copy(src.Rgb, ((y - top) * src.Width + (x0 - left)) * 3, Rgb, (y * Width + x0) * 3, (x1 - x0) * 3);
    }

    public override string ToString() => $"RgbImage {Width}x{Height}";

    private int Index(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x},{y}) is outside the {Width}x{Height} image");
        return (y * Width + x) * 3;
    }
}
