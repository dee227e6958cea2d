using System.Runtime.InteropServices;
using System.Security.Cryptography;
using LVPrune.Images;
using TorchSharp;

namespace LVPrune.Tests.Images;

public class ClipPreprocessorTests
{
    private static readonly ImageProcessorConfig Clip24 = ImageProcessorConfig.ForImageSize(24);

    public static TheoryData<int> PipelineCases() => TestImages.Indices(PilReferenceData.Pipelines.Length);

    [Theory]
    [MemberData(nameof(PipelineCases))]
    public void Preprocess_EqualsLlavaAndHuggingFaceReference(int caseIndex)
    {
        var (sw, sh, modeText, size, preparedB64, sum, sha) = PilReferenceData.Pipelines[caseIndex];
        var mode = ResizeMode.Parse(modeText);
        var img = TestImages.Pattern(sw, sh);

        var prepared = ClipPreprocessor.PrepareImage(img, Clip24, mode);
        Assert.Equal((size, size), (prepared.Width, prepared.Height));
        Assert.Equal(Convert.FromBase64String(preparedB64), prepared.Rgb);

        using var t = ClipPreprocessor.Preprocess(img, Clip24, mode);
        Assert.Equal(new long[] { 3, size, size }, t.shape);
        Assert.Equal(torch.ScalarType.Float32, t.dtype);
        float[] values = t.data<float>().ToArray();
        Assert.Equal(sum, values.Sum(v => (double)v), 9);
        // Bit-exact with numpy's float32 pixel_values.
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan()))));
    }

    public static TheoryData<int> LargeCases() => TestImages.Indices(PilReferenceData.Large.Length);

    [Theory]
    [MemberData(nameof(LargeCases))]
    public void Preprocess_FullSize336_EqualsReference(int caseIndex)
    {
        var (sw, sh, modeText, preparedSha, pixelSha) = PilReferenceData.Large[caseIndex];
        var mode = ResizeMode.Parse(modeText);
        var img = TestImages.Pattern(sw, sh);
        var cfg = new ImageProcessorConfig();

        var prepared = ClipPreprocessor.PrepareImage(img, cfg, mode);
        Assert.Equal(preparedSha, Convert.ToHexStringLower(SHA256.HashData(prepared.Rgb)));

        var values = new float[3 * 336 * 336];
        ClipPreprocessor.Normalize(prepared, cfg, values);
        Assert.Equal(pixelSha, Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan()))));
    }

    [Fact]
    public void ExpandToSquare_WideImage_PastesAtHalfTheDifference()
    {
        var img = RgbImage.Filled(6, 3, 1, 2, 3);
        var sq = ClipPreprocessor.ExpandToSquare(img, (122, 116, 104));
        Assert.Equal((6, 6), (sq.Width, sq.Height));
        for (int y = 0; y < 6; y++)
        {
            // (6 - 3) // 2 = 1: rows 1..3 are the image, rows 0, 4, 5 the background.
            var expected = y is >= 1 and <= 3 ? ((byte)1, (byte)2, (byte)3) : ((byte)122, (byte)116, (byte)104);
            for (int x = 0; x < 6; x++)
                Assert.Equal(expected, sq.GetPixel(x, y));
        }
    }

    [Fact]
    public void ExpandToSquare_TallImage_PastesAtHalfTheDifference()
    {
        var img = TestImages.Pattern(2, 7);
        var sq = ClipPreprocessor.ExpandToSquare(img, (9, 8, 7));
        Assert.Equal((7, 7), (sq.Width, sq.Height));
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 7; x++)
            {
                // (7 - 2) // 2 = 2: columns 2 and 3 hold the image.
                var expected = x is 2 or 3 ? img.GetPixel(x - 2, y) : ((byte)9, (byte)8, (byte)7);
                Assert.Equal(expected, sq.GetPixel(x, y));
            }
    }

    [Fact]
    public void PadColor_IsLlavaMeanColour()
    {
        Assert.Equal(((byte)122, (byte)116, (byte)104), new ImageProcessorConfig().PadColor);
    }

    [Fact]
    public void PadToSquare_BandsAboveAndBelowAreTheMeanColour()
    {
        // A 60x20 image padded to 60x60 (rows 20..39) then resized to 24: rows far from the image
        // are pure pad colour, which normalises to (int(m*255)/255 - m) / s.
        var cfg = Clip24;
        var prepared = ClipPreprocessor.PrepareImage(RgbImage.Filled(60, 20, 255, 0, 0), cfg, ResizeMode.PadToSquare);
        Assert.Equal((24, 24), (prepared.Width, prepared.Height));
        for (int x = 0; x < 24; x++)
        {
            Assert.Equal(((byte)122, (byte)116, (byte)104), prepared.GetPixel(x, 0));
            Assert.Equal(((byte)122, (byte)116, (byte)104), prepared.GetPixel(x, 23));
            Assert.Equal(((byte)255, (byte)0, (byte)0), prepared.GetPixel(x, 12));
        }
    }

    [Theory]
    [InlineData(40, 30, 24, 32, 24)]
    [InlineData(30, 45, 24, 24, 36)]
    [InlineData(37, 29, 24, 30, 24)]   // 24 * 37 / 29 = 30.62 -> 30 (int() truncates, does not round)
    [InlineData(3, 7, 5, 5, 11)]       // 5 * 7 / 3 = 11.67 -> 11
    [InlineData(1024, 768, 336, 448, 336)]
    [InlineData(500, 500, 336, 336, 336)]
    public void ResizeOutputSize_ShortSideToS_LongSideTruncated(int w, int h, int s, int expectedW, int expectedH)
    {
        var cfg = ImageProcessorConfig.ForImageSize(s);
        Assert.Equal((expectedW, expectedH), ClipPreprocessor.ResizeOutputSize(w, h, cfg));
    }

    [Fact]
    public void ShortSideCenterCrop_TakesTheMiddleOfTheLongSide()
    {
        // 48x24 with S = 24: no resize needed on the short side (24), long side 48; crop starts at (48 - 24) // 2 = 12.
        var img = TestImages.Pattern(48, 24);
        var prepared = ClipPreprocessor.PrepareImage(img, Clip24, ResizeMode.ShortSideCenterCrop);
        Assert.Equal(img.Crop(12, 0, 24, 24).Rgb, prepared.Rgb);

        var g = ClipPreprocessor.Geometry(48, 24, Clip24, ResizeMode.ShortSideCenterCrop);
        Assert.Equal(new PreprocessGeometry(48, 24, 0, 0, 48, 24, 48, 24, 12, 0, 24, 24), g);
    }

    [Fact]
    public void CenterCrop_OddDifference_FloorsTheOffset()
    {
        var img = TestImages.Pattern(7, 6);
        var crop = ClipPreprocessor.CenterCrop(img, 3, 4);   // top (6-3)//2 = 1, left (7-4)//2 = 1
        Assert.Equal(img.Crop(1, 1, 4, 3).Rgb, crop.Rgb);
    }

    [Fact]
    public void CenterCrop_LargerThanImage_PadsWithZeros()
    {
        var img = RgbImage.Filled(2, 3, 50, 60, 70);
        var crop = ClipPreprocessor.CenterCrop(img, 6, 5); // top (3-6)//2 = -2, left (2-5)//2 = -2
        Assert.Equal((5, 6), (crop.Width, crop.Height));
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 5; x++)
            {
                bool inside = x is >= 2 and < 4 && y is >= 2 and < 5;
                Assert.Equal(inside ? ((byte)50, (byte)60, (byte)70) : ((byte)0, (byte)0, (byte)0), crop.GetPixel(x, y));
            }
    }

    [Fact]
    public void Normalize_UniformImage_IsClosedFormEverywhere()
    {
        var cfg = new ImageProcessorConfig();
        foreach (var (v, rBits, gBits, bBits) in PilReferenceData.UniformNormalized)
        {
            using var t = ClipPreprocessor.Preprocess(RgbImage.Filled(5, 9, (byte)v, (byte)v, (byte)v), cfg, ResizeMode.PadToSquare);
            Assert.Equal(new long[] { 3, 336, 336 }, t.shape);
            float[] all = t.data<float>().ToArray();
            int plane = 336 * 336;
            double[] mean = [cfg.ImageMean.R, cfg.ImageMean.G, cfg.ImageMean.B];
            double[] std = [cfg.ImageStd.R, cfg.ImageStd.G, cfg.ImageStd.B];
            uint[] numpyBits = [rBits, gBits, bBits];
            var padded = cfg.PadColor;
            byte[] padValue = [padded.R, padded.G, padded.B];
            for (int c = 0; c < 3; c++)
            {
                // 5x9 padded to 9x9: columns 2..6 are the image; the middle column is v, the first pad.
                float centre = all[c * plane + 168 * 336 + 168];
                Assert.Equal((v / 255.0 - mean[c]) / std[c], centre, 5);
                Assert.Equal(numpyBits[c], BitConverter.SingleToUInt32Bits(centre));
                Assert.Equal((padValue[c] / 255.0 - mean[c]) / std[c], all[c * plane + 168 * 336], 5);
            }
        }
    }

    [Fact]
    public void Normalize_UniformImage_CropMode_EveryValueEqual()
    {
        var cfg = Clip24;
        using var t = ClipPreprocessor.Preprocess(RgbImage.Filled(31, 17, 200, 100, 0), cfg, ResizeMode.ShortSideCenterCrop);
        float[] all = t.data<float>().ToArray();
        int plane = 24 * 24;
        double[] v = [200, 100, 0];
        double[] mean = [cfg.ImageMean.R, cfg.ImageMean.G, cfg.ImageMean.B];
        double[] std = [cfg.ImageStd.R, cfg.ImageStd.G, cfg.ImageStd.B];
        for (int c = 0; c < 3; c++)
        {
            float expected = (float)((v[c] / 255.0 - mean[c]) / std[c]);
            for (int i = 0; i < plane; i++)
                Assert.Equal(expected, all[c * plane + i], 5);
        }
    }

    [Fact]
    public void PreprocessBatch_StacksImagesOfDifferentShapes()
    {
        var a = TestImages.Pattern(40, 30);
        var b = TestImages.Pattern(30, 45);
        using var batch = ClipPreprocessor.PreprocessBatch([a, b], Clip24, ResizeMode.ShortSideCenterCrop);
        Assert.Equal(new long[] { 2, 3, 24, 24 }, batch.shape);
        using var one = ClipPreprocessor.Preprocess(b, Clip24, ResizeMode.ShortSideCenterCrop);
        using var second = batch[1];
        Assert.True(second.Equals(one));
    }

    [Fact]
    public void PreprocessBatch_NoCropAndDifferentShapes_ThrowsNamingTheImage()
    {
        var cfg = Clip24 with { DoCenterCrop = false };
        var ex = Assert.Throws<LVPruneException>(() => ClipPreprocessor.PreprocessBatch(
            [TestImages.Pattern(24, 24), TestImages.Pattern(40, 30)], cfg, ResizeMode.ShortSideCenterCrop));
        Assert.Contains("image 1", ex.Message);
        Assert.Contains("32x24", ex.Message);
    }

    [Fact]
    public void Geometry_PadMode_MapsSourceCornersIntoTheSquare()
    {
        var g = ClipPreprocessor.Geometry(40, 30, Clip24, ResizeMode.PadToSquare);
        Assert.Equal(new PreprocessGeometry(40, 30, 0, 5, 40, 40, 24, 24, 0, 0, 24, 24), g);
        var (u, v) = g.FromSource(0, 0);
        Assert.Equal(0.0, u, 12);
        Assert.Equal(3.0, v, 12);   // 5 rows of padding * 24 / 40
        var (x, y) = g.ToSource(24, 24);
        Assert.Equal(40.0, x, 12);
        Assert.Equal(35.0, y, 12);   // past the bottom of the image: padding
    }

    [Fact]
    public void Geometry_CropMode_RoundTrips()
    {
        var g = ClipPreprocessor.Geometry(37, 29, Clip24, ResizeMode.ShortSideCenterCrop);
        Assert.Equal((30, 24, 3, 0), (g.ResizedWidth, g.ResizedHeight, g.CropLeft, g.CropTop));
        var (x, y) = g.ToSource(5.5, 17.25);
        var (u, v) = g.FromSource(x, y);
        Assert.Equal(5.5, u, 12);
        Assert.Equal(17.25, v, 12);
    }

    [Theory]
    [InlineData("pad", ResizeMode.PadToSquare)]
    [InlineData("crop", ResizeMode.ShortSideCenterCrop)]
    [InlineData(" CROP ", ResizeMode.ShortSideCenterCrop)]
    public void ResizeMode_Parse(string text, ResizeMode expected)
    {
        Assert.Equal(expected, ResizeMode.Parse(text));
        Assert.Equal(expected, ResizeMode.Parse(expected.ToOptionString()));
    }

    [Fact]
    public void ResizeMode_ParseUnknown_ThrowsNamingIt()
    {
        var ex = Assert.Throws<LVPruneException>(() => ResizeMode.Parse("squash"));
        Assert.Contains("'squash'", ex.Message);
    }
}
