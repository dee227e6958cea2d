using System.Runtime.InteropServices;
using SkiaSharp;

namespace LVPrune.Images;

/// <summary>
/// Image files in and out, through SkiaSharp, decoding the way the reference pipelines see an
/// image after PIL's <c>Image.open(path).convert("RGB")</c>:
/// <list type="bullet">
/// <item>alpha is dropped, keeping each pixel's stored colour (PIL's convert("RGB") from RGBA does
/// not composite on any background), so pixels are decoded unpremultiplied;</item>
/// <item>EXIF orientation is ignored (PIL's open does not apply it; ImageOps.exif_transpose would);</item>
/// <item>no colour management: the decode asks Skia for no colour space, so embedded ICC profiles and PNG
/// gamma are not applied, as with PIL (not yet checked on a file with a non-sRGB profile);</item>
/// <item>animated GIF / WebP: the first frame.</item>
/// </list>
/// Checked against Pillow 9.4 on PNG (RGB, RGBA, LA, grey, palette + tRNS, 16-bit), JPEG (4:2:0,
/// 4:4:4, progressive, CMYK), WebP (lossy, lossless + alpha) and BMP: identical bytes. One known
/// difference: a GIF's transparent pixels come out black here, while PIL gives their palette colour.
/// Formats: whatever Skia decodes (JPEG, PNG, WebP, GIF, BMP, ICO, WBMP).
/// </summary>
public static class ImageIO
{
    /// <summary>Reads and decodes an image file; a missing, unreadable or undecodable file throws <see cref="LVPruneException"/> naming it.</summary>
    public static RgbImage Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LVPruneException($"image file not found: {path}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"cannot read image file {path}: {e.Message}", e);
        }
        return Decode(bytes, path);
    }

    /// <summary>Decodes encoded image bytes; <paramref name="nameForErrors"/> names the source in error messages.
    /// An image of more than <paramref name="maxPixels"/> pixels is refused before any pixel is decoded.</summary>
    public static RgbImage Decode(byte[] bytes, string nameForErrors, long maxPixels = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0)
            throw new LVPruneException($"cannot decode image {nameForErrors}: it is empty");

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new LVPruneException($"cannot decode image {nameForErrors}: not a recognised image format (JPEG, PNG, WebP, GIF, BMP)");
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w <= 0 || h <= 0)
            throw new LVPruneException($"cannot decode image {nameForErrors}: its size is {w}x{h}");
        if ((long)w * h > maxPixels)
            throw new LVPruneException($"image {nameForErrors} is {w}x{h} = {(long)w * h} pixels, over the limit of {maxPixels}");

        // No colour space in the destination: Skia then applies no colour conversion (as PIL).
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        SKCodecResult result;
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
        // IncompleteInput = truncated file: PIL refuses it too ("image file is truncated").
        if (result != SKCodecResult.Success)
            throw new LVPruneException($"cannot decode image {nameForErrors}: {result} ({codec.EncodedFormat}, {w}x{h})");
        return FromRgba(w, h, rgba, w * 4);
    }

    /// <summary>Writes a PNG atomically (a temporary file in the same folder, then a rename).</summary>
    public static void SavePng(RgbImage img, string path)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] png = Encode(img, SKEncodedImageFormat.Png);
        try
        {
            AtomicFile.WriteAllBytes(path, png);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"cannot write image file {path}: {e.Message}", e);
        }
    }

    /// <summary>Encodes with Skia (PNG is lossless; <paramref name="quality"/> 0-100 applies to JPEG and WebP).</summary>
    public static byte[] Encode(RgbImage img, SKEncodedImageFormat format, int quality = 100)
    {
        using var bmp = ToSKBitmap(img);
        using var data = bmp.Encode(format, quality)
            ?? throw new LVPruneException($"SkiaSharp cannot encode {format} images");
        return data.ToArray();
    }

    /// <summary>An opaque RGBA8888 bitmap holding the image (for drawing); the caller disposes it.</summary>
    public static SKBitmap ToSKBitmap(RgbImage img)
    {
        ArgumentNullException.ThrowIfNull(img);
        var bmp = new SKBitmap(new SKImageInfo(img.Width, img.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        int rowBytes = bmp.RowBytes;
        var dst = new byte[rowBytes * img.Height];
        var src = img.Rgb;
        for (int y = 0; y < img.Height; y++)
        {
            int s = y * img.Width * 3, d = y * rowBytes;
            for (int x = 0; x < img.Width; x++, s += 3, d += 4)
            {
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
                dst[d + 3] = 255;
            }
        }
        Marshal.Copy(dst, 0, bmp.GetPixels(), dst.Length);
        return bmp;
    }

    /// <summary>The RGB content of any bitmap, alpha dropped (colours unpremultiplied first).</summary>
    public static RgbImage FromSKBitmap(SKBitmap bmp)
    {
        ArgumentNullException.ThrowIfNull(bmp);
        if (bmp.Width <= 0 || bmp.Height <= 0)
            throw new ArgumentException($"bitmap size {bmp.Width}x{bmp.Height} is empty", nameof(bmp));
        var info = new SKImageInfo(bmp.Width, bmp.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = bmp.PeekPixels();
            if (pixmap is null || !pixmap.ReadPixels(info, handle.AddrOfPinnedObject(), info.RowBytes, 0, 0))
                throw new ArgumentException($"cannot convert a {bmp.ColorType} bitmap to RGBA", nameof(bmp));
        }
        finally
        {
            handle.Free();
        }
        return FromRgba(bmp.Width, bmp.Height, rgba, info.RowBytes);
    }

    private static RgbImage FromRgba(int w, int h, byte[] rgba, int rowBytes)
    {
        var img = new RgbImage(w, h);
        var dst = img.Rgb;
        for (int y = 0; y < h; y++)
        {
            int s = y * rowBytes, d = y * w * 3;
            for (int x = 0; x < w; x++, s += 4, d += 3)
            {
                dst[d] = rgba[s];
                dst[d + 1] = rgba[s + 1];
                dst[d + 2] = rgba[s + 2];
            }
        }
        return img;
    }
}
