using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Images;

/// <summary>
/// Turns an image into CLIP's pixel_values, as the reference pipelines do:
/// <list type="bullet">
/// <item><see cref="ResizeMode.PadToSquare"/>: original LLaVA-1.5 (llava/mm_utils.py, the paper's
/// results): <c>expand2square(img, tuple(int(x*255) for x in image_mean))</c>, then the CLIP processor.</item>
/// <item><see cref="ResizeMode.ShortSideCenterCrop"/>: the CLIP processor alone (llava-hf).</item>
/// </list>
/// The CLIP processor is Hugging Face's CLIPImageProcessor (slow, PIL-based): resize (short side
/// to size.shortest_edge, long side <c>int(S * long / short)</c>; or to size.height x size.width)
/// with PIL's filter on uint8, centre crop at <c>((H - h) // 2, (W - w) // 2)</c>, then in float32
/// <c>x = float32(v * rescale_factor)</c>, <c>(x - mean) / std</c>. Output is channel-first.
/// </summary>
public static class ClipPreprocessor
{
    /// <summary>float32 [3, H, W] (H = W = crop size for CLIP), in the caller's dispose scope.</summary>
    public static Tensor Preprocess(RgbImage img, ImageProcessorConfig cfg, ResizeMode mode)
    {
        var prepared = PrepareImage(img, cfg, mode);
        var data = new float[3 * prepared.Height * prepared.Width];
        Normalize(prepared, cfg, data);
        return torch.tensor(data, [3, prepared.Height, prepared.Width]);
    }

    /// <summary>float32 [B, 3, H, W]; every image must come out the same size (always so with centre crop on).</summary>
    public static Tensor PreprocessBatch(IReadOnlyList<RgbImage> images, ImageProcessorConfig cfg, ResizeMode mode)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("empty image batch", nameof(images));
        float[]? data = null;
        int h = 0, w = 0;
        for (int b = 0; b < images.Count; b++)
        {
            var prepared = PrepareImage(images[b], cfg, mode);
            if (data is null)
            {
                (h, w) = (prepared.Height, prepared.Width);
                data = new float[images.Count * 3 * h * w];
            }
            else if (prepared.Height != h || prepared.Width != w)
            {
                throw new LVPruneException($"image {b} of the batch preprocesses to {prepared.Width}x{prepared.Height} but image 0 to {w}x{h}; enable do_center_crop to batch images of different shapes");
            }
            Normalize(prepared, cfg, data.AsSpan(b * 3 * h * w, 3 * h * w));
        }
        return torch.tensor(data!, [images.Count, 3, h, w]);
    }

    /// <summary>The 8-bit image the model will see (after pad, resize and crop), before rescale and normalisation.</summary>
    public static RgbImage PrepareImage(RgbImage img, ImageProcessorConfig cfg, ResizeMode mode)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentNullException.ThrowIfNull(cfg);
        var g = Geometry(img.Width, img.Height, cfg, mode);
        var padded = mode == ResizeMode.PadToSquare ? ExpandToSquare(img, cfg.PadColor) : img;
        var resized = cfg.DoResize ? PilResize.Resize(padded, g.ResizedWidth, g.ResizedHeight, cfg.Resample) : padded;
        return cfg.DoCenterCrop ? CenterCrop(resized, g.OutputHeight, g.OutputWidth) : resized;
    }

    /// <summary>Where an image of this size lands in the model input under these settings.</summary>
    public static PreprocessGeometry Geometry(int width, int height, ImageProcessorConfig cfg, ResizeMode mode)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        int side = Math.Max(width, height);
        var (pw, ph, padLeft, padTop) = mode == ResizeMode.PadToSquare
            ? (side, side, (side - width) / 2, (side - height) / 2)
            : (width, height, 0, 0);
        var (rw, rh) = cfg.DoResize ? ResizeOutputSize(pw, ph, cfg) : (pw, ph);
        var (ow, oh) = cfg.DoCenterCrop ? (cfg.CropWidth, cfg.CropHeight) : (rw, rh);
        // Python's (H - h) // 2 floors; >> 1 is the same for negative numbers.
        int cropLeft = cfg.DoCenterCrop ? (rw - ow) >> 1 : 0;
        int cropTop = cfg.DoCenterCrop ? (rh - oh) >> 1 : 0;
        return new PreprocessGeometry(width, height, padLeft, padTop, pw, ph, rw, rh, cropLeft, cropTop, ow, oh);
    }

    /// <summary>
    /// Hugging Face's resize target (width, height): short side to size.shortest_edge, long side
    /// <c>int(S * long / short)</c> (truncated); or exactly size.height x size.width.
    /// </summary>
    public static (int Width, int Height) ResizeOutputSize(int width, int height, ImageProcessorConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (cfg.ShortestEdge is not int s)
        {
            if (cfg.ResizeHeight is not int rh || cfg.ResizeWidth is not int rw)
                throw new LVPruneException($"image processor config{From(cfg)} sets neither size.shortest_edge nor size.height and size.width");
            return (rw, rh);
        }
        int shortSide = Math.Min(width, height), longSide = Math.Max(width, height);
        int newLong = (int)((double)((long)s * longSide) / shortSide);
        return width <= height ? (s, newLong) : (newLong, s);
    }

    /// <summary>
    /// LLaVA's expand2square: the image pasted on a square of <paramref name="background"/>, at
    /// (0, (W - H) // 2) when wider, ((H - W) // 2, 0) when taller; a square image is returned as is.
    /// </summary>
    public static RgbImage ExpandToSquare(RgbImage img, (byte R, byte G, byte B) background)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (img.Width == img.Height)
            return img;
        int side = Math.Max(img.Width, img.Height);
        var square = RgbImage.Filled(side, side, background.R, background.G, background.B);
        square.Paste(img, (side - img.Width) / 2, (side - img.Height) / 2);
        return square;
    }

    /// <summary>
    /// Hugging Face's center_crop: rows from (H - h) // 2, columns from (W - w) // 2; where the crop
    /// is larger than the image the rest is black (zeros), so the result is always h x w.
    /// </summary>
    public static RgbImage CenterCrop(RgbImage img, int cropHeight, int cropWidth)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (cropHeight <= 0 || cropWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(cropHeight), $"crop size {cropWidth}x{cropHeight} must be positive");
        int top = (img.Height - cropHeight) >> 1, left = (img.Width - cropWidth) >> 1;
        if (top >= 0 && left >= 0)
            return img.Crop(left, top, cropWidth, cropHeight);
        var outImg = new RgbImage(cropWidth, cropHeight);
        outImg.Paste(img, -left, -top);
        return outImg;
    }

    /// <summary>Rescale and normalise into channel-first floats: <paramref name="dst"/> holds 3 * H * W values.</summary>
    public static void Normalize(RgbImage img, ImageProcessorConfig cfg, Span<float> dst)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentNullException.ThrowIfNull(cfg);
        int plane = img.Width * img.Height;
        if (dst.Length != 3 * plane)
            throw new ArgumentException($"destination holds {dst.Length} floats, {3 * plane} needed", nameof(dst));
        Span<float> lut = stackalloc float[3 * 256];
        FillLookup(cfg, cfg.ImageMean.R, cfg.ImageStd.R, lut[..256]);
        FillLookup(cfg, cfg.ImageMean.G, cfg.ImageStd.G, lut.Slice(256, 256));
        FillLookup(cfg, cfg.ImageMean.B, cfg.ImageStd.B, lut.Slice(512, 256));
        ReadOnlySpan<byte> px = img.Rgb;
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> table = lut.Slice(c * 256, 256);
            Span<float> outPlane = dst.Slice(c * plane, plane);
            for (int i = 0, p = c; i < plane; i++, p += 3)
                outPlane[i] = table[px[p]];
        }
    }

    /// <summary>The float every 8-bit value becomes, computed as numpy does (float64 rescale, float32 cast, float32 normalise).</summary>
    private static void FillLookup(ImageProcessorConfig cfg, double mean, double std, Span<float> table)
    {
        float m = (float)mean, sd = (float)std;
        for (int v = 0; v < 256; v++)
        {
            float x = cfg.DoRescale ? (float)(v * cfg.RescaleFactor) : v;
            table[v] = cfg.DoNormalize ? (x - m) / sd : x;
        }
    }

    private static string From(ImageProcessorConfig cfg) => cfg.SourcePath is null ? "" : $" ({cfg.SourcePath})";
}
