using LVPrune.Images;
using SkiaSharp;

namespace LVPrune.Tests.Images;

public class ImageIOTests
{
    [Fact]
    public void Png_SaveAndLoad_IsExact()
    {
        using var dir = new TestImages.TempDir();
        var img = TestImages.Pattern(13, 7);
        string path = dir.File("pattern.png");

        ImageIO.SavePng(img, path);
        var back = ImageIO.Load(path);

        Assert.Equal((13, 7), (back.Width, back.Height));
        Assert.Equal(img.Rgb, back.Rgb);
        Assert.Single(Directory.GetFiles(dir.Path)); // no temporary file left behind
    }

    [Fact]
    public void SavePng_OverwritesAnExistingFile()
    {
        using var dir = new TestImages.TempDir();
        string path = dir.File("a.png");
        ImageIO.SavePng(RgbImage.Filled(3, 3, 1, 1, 1), path);
        ImageIO.SavePng(RgbImage.Filled(4, 2, 9, 9, 9), path);
        var back = ImageIO.Load(path);
        Assert.Equal((4, 2), (back.Width, back.Height));
        Assert.Equal(((byte)9, (byte)9, (byte)9), back.GetPixel(3, 1));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, 95, 3.0)]
    [InlineData(SKEncodedImageFormat.Webp, 90, 3.0)]
    public void LossyFormats_DecodeToTheRightSizeAndCloseColours(SKEncodedImageFormat format, int quality, double maxMeanError)
    {
        var img = TestImages.Gradient(40, 30);
        byte[] bytes = ImageIO.Encode(img, format, quality);

        var back = ImageIO.Decode(bytes, "gradient." + format);

        Assert.Equal((40, 30), (back.Width, back.Height));
        double meanError = img.Rgb.Zip(back.Rgb, (a, b) => Math.Abs(a - b)).Average();
        Assert.InRange(meanError, 0.0, maxMeanError);
        // A colour far from the gradient would show that channels were swapped (BGR) or unpremultiplied wrongly.
        var (r, g, b) = back.GetPixel(39, 0);
        Assert.InRange(r, 190, 210);
        Assert.InRange(g, 20, 40);
        Assert.InRange(b, 130, 155);
    }

    [Fact]
    public void WebpLossless_IsExact()
    {
        var img = TestImages.Pattern(17, 9);
        using var bmp = ImageIO.ToSKBitmap(img);
        using var pixmap = bmp.PeekPixels()!;
        using var data = pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100))!;
        var back = ImageIO.Decode(data.ToArray(), "lossless.webp");
        Assert.Equal(img.Rgb, back.Rgb);
    }

    [Fact]
    public void Bmp_HandWritten24Bit_DecodesBottomUpBgrRows()
    {
        var img = TestImages.Pattern(5, 3);   // row stride 15 -> padded to 16 bytes
        var back = ImageIO.Decode(Bmp24(img), "hand.bmp");
        Assert.Equal(img.Rgb, back.Rgb);
    }

    [Fact]
    public void Png_WithAlpha_KeepsTheStoredColour_LikePilConvertRgb()
    {
        // PIL's convert("RGB") drops alpha without compositing: a fully transparent pixel keeps its colour.
        using var bmp = new SKBitmap(new SKImageInfo(2, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bmp.SetPixel(0, 0, new SKColor(200, 100, 50, 0));
        bmp.SetPixel(1, 0, new SKColor(10, 20, 30, 128));
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100)!;

        var back = ImageIO.Decode(data.ToArray(), "alpha.png");

        Assert.Equal(((byte)200, (byte)100, (byte)50), back.GetPixel(0, 0));
        Assert.Equal(((byte)10, (byte)20, (byte)30), back.GetPixel(1, 0));
    }

    [Fact]
    public void Jpeg_ExifOrientation_IsNotApplied_LikePilOpen()
    {
        var img = TestImages.Gradient(40, 30);
        byte[] jpeg = WithExifOrientation(ImageIO.Encode(img, SKEncodedImageFormat.Jpeg, 95), orientation: 6);
        using (var codec = SKCodec.Create(SKData.CreateCopy(jpeg)))
            Assert.Equal(SKEncodedOrigin.RightTop, codec.EncodedOrigin); // the tag is really there

        var back = ImageIO.Decode(jpeg, "rotated.jpg");

        Assert.Equal((40, 30), (back.Width, back.Height));   // not rotated to 30x40
        Assert.InRange(back.GetPixel(39, 0).R, 190, 210);
    }

    [Fact]
    public void SKBitmap_RoundTrip_IsExact()
    {
        var img = TestImages.Pattern(9, 4);
        using var bmp = ImageIO.ToSKBitmap(img);
        Assert.Equal(new SKColor(img.Rgb[0], img.Rgb[1], img.Rgb[2], 255), bmp.GetPixel(0, 0));
        Assert.Equal(img.Rgb, ImageIO.FromSKBitmap(bmp).Rgb);
    }

    [Fact]
    public void FromSKBitmap_ConvertsOtherColourTypes()
    {
        using var bmp = new SKBitmap(new SKImageInfo(2, 2, SKColorType.Bgra8888, SKAlphaType.Opaque));
        bmp.Erase(new SKColor(1, 2, 3));
        var img = ImageIO.FromSKBitmap(bmp);
        Assert.Equal(((byte)1, (byte)2, (byte)3), img.GetPixel(1, 1));
    }

    [Fact]
    public void Load_GarbageFile_ThrowsNamingTheFile()
    {
        using var dir = new TestImages.TempDir();
        string path = dir.File("not-an-image.jpg");
        File.WriteAllText(path, "this is not an image at all");
        var ex = Assert.Throws<LVPruneException>(() => ImageIO.Load(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_TruncatedPng_ThrowsNamingTheFile()
    {
        using var dir = new TestImages.TempDir();
        string path = dir.File("cut.png");
        byte[] png = ImageIO.Encode(TestImages.Pattern(64, 64), SKEncodedImageFormat.Png);
        File.WriteAllBytes(path, png[..(png.Length / 2)]);
        var ex = Assert.Throws<LVPruneException>(() => ImageIO.Load(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "lvprune-no-such-dir-" + Guid.NewGuid().ToString("N"), "x.png");
        var ex = Assert.Throws<LVPruneException>(() => ImageIO.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("not found", ex.Message);
    }

    [Fact]
    public void Decode_Empty_Throws()
    {
        var ex = Assert.Throws<LVPruneException>(() => ImageIO.Decode([], "empty.png"));
        Assert.Contains("empty.png", ex.Message);
    }

    /// <summary>A 24-bit BMP written by hand: BITMAPFILEHEADER + BITMAPINFOHEADER, BGR rows bottom-up, padded to 4 bytes.</summary>
    private static byte[] Bmp24(RgbImage img)
    {
        int stride = (img.Width * 3 + 3) & ~3;
        int size = 54 + stride * img.Height;
        var b = new byte[size];
        b[0] = (byte)'B'; b[1] = (byte)'M';
        BitConverter.TryWriteBytes(b.AsSpan(2), size);
        BitConverter.TryWriteBytes(b.AsSpan(10), 54);          // pixel data offset
        BitConverter.TryWriteBytes(b.AsSpan(14), 40);          // info header size
        BitConverter.TryWriteBytes(b.AsSpan(18), img.Width);
        BitConverter.TryWriteBytes(b.AsSpan(22), img.Height);  // positive: bottom-up
        BitConverter.TryWriteBytes(b.AsSpan(26), (short)1);    // planes
        BitConverter.TryWriteBytes(b.AsSpan(28), (short)24);   // bits per pixel
        BitConverter.TryWriteBytes(b.AsSpan(34), stride * img.Height);
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
            {
                var (r, g, bl) = img.GetPixel(x, y);
                int o = 54 + (img.Height - 1 - y) * stride + x * 3;
                b[o] = bl; b[o + 1] = g; b[o + 2] = r;
            }
        return b;
    }

    /// <summary>Inserts an APP1 Exif segment holding only an Orientation tag right after the JPEG's SOI marker.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0,       // little-endian TIFF header, IFD at 8
            1, 0,                                          // one entry
            0x12, 0x01, 3, 0, 1, 0, 0, 0,                  // tag 0x0112 Orientation, SHORT, count 1
            (byte)orientation, 0, 0, 0,                    // value
            0, 0, 0, 0,                                    // no next IFD
        ];
        byte[] exifId = [(byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0];
        int len = 2 + exifId.Length + tiff.Length;
        var seg = new List<byte> { 0xFF, 0xE1, (byte)(len >> 8), (byte)len };
        seg.AddRange(exifId);
        seg.AddRange(tiff);
        return [.. jpeg[..2], .. seg, .. jpeg[2..]];
    }
}
