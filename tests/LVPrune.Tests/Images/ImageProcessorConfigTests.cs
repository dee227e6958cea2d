using LVPrune.Images;

namespace LVPrune.Tests.Images;

public class ImageProcessorConfigTests
{
    // The preprocessor_config.json of llava-hf/llava-1.5-7b-hf (as published).
    private const string LlavaHf = """
        {
          "crop_size": { "height": 336, "width": 336 },
          "do_center_crop": true,
          "do_convert_rgb": true,
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_processor_type": "CLIPImageProcessor",
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "processor_class": "LlavaProcessor",
          "resample": 3,
          "rescale_factor": 0.00392156862745098,
          "size": { "shortest_edge": 336 }
        }
        """;

    [Fact]
    public void Defaults_AreClipVitL14At336()
    {
        var d = new ImageProcessorConfig();
        Assert.Equal(336, d.ShortestEdge);
        Assert.Equal((336, 336), (d.CropHeight, d.CropWidth));
        Assert.Equal((0.48145466, 0.4578275, 0.40821073), d.ImageMean);
        Assert.Equal((0.26862954, 0.26130258, 0.27577711), d.ImageStd);
        Assert.Equal(PilResample.Bicubic, d.Resample);
        Assert.Equal(1.0 / 255.0, d.RescaleFactor);
        Assert.True(d.DoResize && d.DoCenterCrop && d.DoRescale && d.DoNormalize);
        Assert.Equal((336, 336), d.FixedOutputSize);
    }

    [Fact]
    public void Load_LlavaHfFile_EqualsDefaults()
    {
        using var dir = new TestImages.TempDir();
        string path = dir.File(ImageProcessorConfig.FileName);
        File.WriteAllText(path, LlavaHf);

        var cfg = ImageProcessorConfig.Load(dir.Path, fallbackImageSize: 224);

        Assert.Equal(new ImageProcessorConfig { SourcePath = path }, cfg);
    }

    [Fact]
    public void Load_MissingFile_UsesFallbackSize()
    {
        using var dir = new TestImages.TempDir();
        var cfg = ImageProcessorConfig.Load(dir.Path, fallbackImageSize: 30);
        Assert.Equal(new ImageProcessorConfig { ShortestEdge = 30, CropHeight = 30, CropWidth = 30 }, cfg);
        Assert.Null(cfg.SourcePath);
    }

    [Fact]
    public void Parse_OldClipStyle_BareIntegersAndMissingKeys()
    {
        // openai/clip-vit-large-patch14-336 style: "size" and "crop_size" are bare numbers; no rescale keys.
        var cfg = ImageProcessorConfig.Parse("""{"size": 224, "crop_size": 200, "do_normalize": false, "resample": 2, "image_mean": 0.5}""", "p.json", 64);
        Assert.Equal(224, cfg.ShortestEdge);
        Assert.Equal((200, 200), (cfg.CropHeight, cfg.CropWidth));
        Assert.False(cfg.DoNormalize);
        Assert.True(cfg.DoRescale);
        Assert.Equal(PilResample.Bilinear, cfg.Resample);
        Assert.Equal((0.5, 0.5, 0.5), cfg.ImageMean);
        Assert.Null(cfg.DoPad);
    }

    [Fact]
    public void Parse_MissingSizes_TakeTheFallback()
    {
        var cfg = ImageProcessorConfig.Parse("""{"do_pad": true}""", "p.json", 48);
        Assert.Equal(48, cfg.ShortestEdge);
        Assert.Equal((48, 48), (cfg.CropHeight, cfg.CropWidth));
        Assert.True(cfg.DoPad);
    }

    [Fact]
    public void Parse_HeightWidthSize_ResizesExactly()
    {
        var cfg = ImageProcessorConfig.Parse("""{"size": {"height": 20, "width": 30}, "do_center_crop": false}""", "p.json", 336);
        Assert.Null(cfg.ShortestEdge);
        Assert.Equal((20, 30), (cfg.ResizeHeight, cfg.ResizeWidth));
        Assert.Equal((20, 30), cfg.FixedOutputSize);
        Assert.Equal((30, 20), ClipPreprocessor.ResizeOutputSize(7, 100, cfg));
        using var t = ClipPreprocessor.Preprocess(TestImages.Pattern(7, 100), cfg, ResizeMode.ShortSideCenterCrop);
        Assert.Equal(new long[] { 3, 20, 30 }, t.shape);
    }

    [Theory]
    [InlineData("""{"size": "big"}""", "'size'")]
    [InlineData("""{"size": {"shortest_edge": -3}}""", "'size.shortest_edge'")]
    [InlineData("""{"crop_size": {"height": 2.5, "width": 3}}""", "'crop_size.height'")]
    [InlineData("""{"do_resize": "yes"}""", "'do_resize'")]
    [InlineData("""{"image_std": [0.2, 0.0, 0.3]}""", "'image_std'")]
    [InlineData("""{"image_mean": [0.2, 0.3]}""", "'image_mean'")]
    [InlineData("""{"resample": 9}""", "'resample'")]
    [InlineData("""{"rescale_factor": 0}""", "'rescale_factor'")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{"size": 336,""", "not valid JSON")]
    public void Load_BadValues_ThrowNamingFileAndKey(string json, string expectedInMessage)
    {
        using var dir = new TestImages.TempDir();
        string path = dir.File(ImageProcessorConfig.FileName);
        File.WriteAllText(path, json);
        var ex = Assert.Throws<LVPruneException>(() => ImageProcessorConfig.Load(dir.Path, 336));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expectedInMessage, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
