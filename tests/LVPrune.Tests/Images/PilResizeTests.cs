using LVPrune.Images;

namespace LVPrune.Tests.Images;

public class PilResizeTests
{
    public static TheoryData<int> ResizeCases() => TestImages.Indices(PilReferenceData.Resizes.Length);

    [Theory]
    [MemberData(nameof(ResizeCases))]
    public void Resize_EqualsPillowByteForByte(int caseIndex)
    {
        var (sw, sh, dw, dh, filter, b64) = PilReferenceData.Resizes[caseIndex];
        byte[] expected = Convert.FromBase64String(b64);

        var actual = PilResize.Resize(TestImages.Pattern(sw, sh), dw, dh, filter);

        Assert.Equal(dw, actual.Width);
        Assert.Equal(dh, actual.Height);
        Assert.Equal(expected, actual.Rgb);
    }

    [Fact]
    public void Resize_SameSize_ReturnsAnEqualCopy()
    {
        var src = TestImages.Pattern(6, 4);
        var outImg = PilResize.Resize(src, 6, 4);
        Assert.NotSame(src.Rgb, outImg.Rgb);
        Assert.Equal(src.Rgb, outImg.Rgb);
    }

    [Fact]
    public void Resize_UniformImage_StaysUniform()
    {
        // Weights are renormalised to sum 1, so a constant survives any scale with no drift.
        var src = RgbImage.Filled(37, 23, 9, 128, 250);
        var outImg = PilResize.Resize(src, 11, 50);
        for (int y = 0; y < outImg.Height; y++)
            for (int x = 0; x < outImg.Width; x++)
                Assert.Equal(((byte)9, (byte)128, (byte)250), outImg.GetPixel(x, y));
    }
}
