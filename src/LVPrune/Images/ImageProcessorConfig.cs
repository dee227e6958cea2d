using System.Text.Json;

namespace LVPrune.Images;

/// <summary>
/// The settings of Hugging Face's CLIPImageProcessor, as read from a model folder's
/// <c>preprocessor_config.json</c>. Defaults are those of openai/clip-vit-large-patch14-336, the
/// vision tower of LLaVA-1.5.
/// </summary>
public sealed record ImageProcessorConfig
{
    public const string FileName = "preprocessor_config.json";

    /// <summary>size.shortest_edge (or a bare integer "size"): resize the short side to this, keeping the aspect ratio. Null when ResizeHeight/ResizeWidth are used.</summary>
    public int? ShortestEdge { get; init; } = 336;

    /// <summary>size.height / size.width: resize to exactly this (both set, ShortestEdge null).</summary>
    public int? ResizeHeight { get; init; }
    public int? ResizeWidth { get; init; }

    /// <summary>crop_size.height / crop_size.width (or a bare integer): the centre crop.</summary>
    public int CropHeight { get; init; } = 336;
    public int CropWidth { get; init; } = 336;

    public bool DoResize { get; init; } = true;
    public bool DoCenterCrop { get; init; } = true;
    public bool DoRescale { get; init; } = true;
    public bool DoNormalize { get; init; } = true;

    /// <summary>rescale_factor: pixel values are multiplied by this (1/255 maps 0..255 to 0..1).</summary>
    public double RescaleFactor { get; init; } = 1.0 / 255.0;

    /// <summary>image_mean per channel (CLIP's, computed on its training set).</summary>
    public (double R, double G, double B) ImageMean { get; init; } = (0.48145466, 0.4578275, 0.40821073);

    /// <summary>image_std per channel (CLIP's).</summary>
    public (double R, double G, double B) ImageStd { get; init; } = (0.26862954, 0.26130258, 0.27577711);

    /// <summary>resample: PIL filter number, 3 = bicubic.</summary>
    public PilResample Resample { get; init; } = PilResample.Bicubic;

    /// <summary>do_pad (LlavaImageProcessor only): the checkpoint asks for LLaVA's pad-to-square; null when the file does not say.</summary>
    public bool? DoPad { get; init; }

    /// <summary>The file this was read from, or null for built-in defaults.</summary>
    public string? SourcePath { get; init; }

    /// <summary>CLIP's defaults with the resize and crop sizes set to <paramref name="imageSize"/>.</summary>
    public static ImageProcessorConfig ForImageSize(int imageSize)
    {
        if (imageSize <= 0)
            throw new LVPruneException($"image size must be positive, got {imageSize}");
        return new ImageProcessorConfig { ShortestEdge = imageSize, CropHeight = imageSize, CropWidth = imageSize };
    }

    /// <summary>
    /// The mean colour LLaVA-1.5 pads with: <c>tuple(int(x * 255) for x in image_mean)</c>,
    /// i.e. (122, 116, 104) for CLIP.
    /// </summary>
    public (byte R, byte G, byte B) PadColor => (ToByte(ImageMean.R), ToByte(ImageMean.G), ToByte(ImageMean.B));

    /// <summary>The output height and width when every image gets the same one (centre crop on, or a fixed resize); null when it depends on the image.</summary>
    public (int Height, int Width)? FixedOutputSize =>
        DoCenterCrop ? (CropHeight, CropWidth)
        : DoResize && ShortestEdge is null ? (ResizeHeight!.Value, ResizeWidth!.Value)
        : null;

    /// <summary>
    /// Reads <c>modelDir/preprocessor_config.json</c> when it exists, otherwise returns
    /// <see cref="ForImageSize"/>(<paramref name="fallbackImageSize"/>). Keys the file leaves out take
    /// CLIP's defaults, with <paramref name="fallbackImageSize"/> for the sizes. Unknown keys are ignored;
    /// a key of the wrong type or value throws <see cref="LVPruneException"/> naming the file and key.
    /// </summary>
    public static ImageProcessorConfig Load(string modelDir, int fallbackImageSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDir);
        var defaults = ForImageSize(fallbackImageSize);
        string path = Path.Combine(modelDir, FileName);
        if (!File.Exists(path))
            return defaults;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"cannot read {path}: {e.Message}", e);
        }
        return Parse(text, path, fallbackImageSize);
    }

    /// <summary>Parses the JSON text of a preprocessor_config.json; <paramref name="path"/> names it in errors.</summary>
    public static ImageProcessorConfig Parse(string json, string path, int fallbackImageSize)
    {
        var cfg = ForImageSize(fallbackImageSize) with { SourcePath = path };
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new LVPruneException($"{path} is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new LVPruneException($"{path}: expected a JSON object, found {root.ValueKind}");
            var reader = new KeyReader(root, path);

            if (root.TryGetProperty("size", out var size))
            {
                if (size.ValueKind == JsonValueKind.Number)
                {
                    // A bare number means the short side for CLIP (get_size_dict(default_to_square=False)).
                    cfg = cfg with { ShortestEdge = reader.PositiveInt(size, "size"), ResizeHeight = null, ResizeWidth = null };
                }
                else if (size.ValueKind == JsonValueKind.Object && size.TryGetProperty("shortest_edge", out var se))
                {
                    cfg = cfg with { ShortestEdge = reader.PositiveInt(se, "size.shortest_edge"), ResizeHeight = null, ResizeWidth = null };
                }
                else if (size.ValueKind == JsonValueKind.Object && size.TryGetProperty("height", out var sh) && size.TryGetProperty("width", out var sw))
                {
                    cfg = cfg with { ShortestEdge = null, ResizeHeight = reader.PositiveInt(sh, "size.height"), ResizeWidth = reader.PositiveInt(sw, "size.width") };
                }
                else
                {
                    throw new LVPruneException($"{path}: key 'size' must be a number or an object with 'shortest_edge' or 'height' and 'width', found {Describe(size)}");
                }
            }

            if (root.TryGetProperty("crop_size", out var crop))
            {
                if (crop.ValueKind == JsonValueKind.Number)
                {
                    int c = reader.PositiveInt(crop, "crop_size");
                    cfg = cfg with { CropHeight = c, CropWidth = c };
                }
                else if (crop.ValueKind == JsonValueKind.Object && crop.TryGetProperty("height", out var ch) && crop.TryGetProperty("width", out var cw))
                {
                    cfg = cfg with { CropHeight = reader.PositiveInt(ch, "crop_size.height"), CropWidth = reader.PositiveInt(cw, "crop_size.width") };
                }
                else
                {
                    throw new LVPruneException($"{path}: key 'crop_size' must be a number or an object with 'height' and 'width', found {Describe(crop)}");
                }
            }

            cfg = cfg with
            {
                DoResize = reader.Bool("do_resize") ?? cfg.DoResize,
                DoCenterCrop = reader.Bool("do_center_crop") ?? cfg.DoCenterCrop,
                DoRescale = reader.Bool("do_rescale") ?? cfg.DoRescale,
                DoNormalize = reader.Bool("do_normalize") ?? cfg.DoNormalize,
                DoPad = reader.Bool("do_pad"),
                RescaleFactor = reader.PositiveDouble("rescale_factor") ?? cfg.RescaleFactor,
                ImageMean = reader.PerChannel("image_mean", allowZero: true) ?? cfg.ImageMean,
                ImageStd = reader.PerChannel("image_std", allowZero: false) ?? cfg.ImageStd,
                Resample = reader.Resample("resample") ?? cfg.Resample,
            };
        }
        return cfg;
    }

    private static byte ToByte(double meanFraction)
    {
        int v = (int)(meanFraction * 255); // Python int() truncates
        return (byte)Math.Clamp(v, 0, 255);
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object or JsonValueKind.Array => e.ValueKind.ToString().ToLowerInvariant(),
        _ => e.GetRawText(),
    };

    /// <summary>Typed reads of optional keys, each failing with the file and key named.</summary>
    private readonly struct KeyReader(JsonElement root, string path)
    {
        public int PositiveInt(JsonElement e, string key)
        {
            if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double d) && d == Math.Floor(d) && d >= 1 && d <= 65536)
                return (int)d;
            throw new LVPruneException($"{path}: key '{key}' must be a positive integer, found {Describe(e)}");
        }

        public bool? Bool(string key)
        {
            if (!root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return null;
            return e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new LVPruneException($"{path}: key '{key}' must be true or false, found {Describe(e)}"),
            };
        }

        public double? PositiveDouble(string key)
        {
            if (!root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return null;
            if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double d) && double.IsFinite(d) && d > 0)
                return d;
            throw new LVPruneException($"{path}: key '{key}' must be a positive number, found {Describe(e)}");
        }

        public (double R, double G, double B)? PerChannel(string key, bool allowZero)
        {
            if (!root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return null;
            var values = new List<double>();
            if (e.ValueKind == JsonValueKind.Number)
            {
                values.Add(e.GetDouble());
                values.Add(values[0]);
                values.Add(values[0]);
            }
            else if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Number)
                        throw new LVPruneException($"{path}: key '{key}' must hold numbers, found {Describe(item)}");
                    values.Add(item.GetDouble());
                }
            }
            if (values.Count != 3 || values.Any(v => !double.IsFinite(v) || (!allowZero && v <= 0)))
                throw new LVPruneException($"{path}: key '{key}' must be 3 {(allowZero ? "finite" : "positive")} numbers (R, G, B), found {Describe(e)}");
            return (values[0], values[1], values[2]);
        }

        public PilResample? Resample(string key)
        {
            if (!root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return null;
            if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v >= 0 && v <= 5)
                return (PilResample)v;
            throw new LVPruneException($"{path}: key '{key}' must be a PIL filter number 0-5 (3 = bicubic), found {Describe(e)}");
        }
    }
}
