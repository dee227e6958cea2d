namespace LVPrune.Images;

/// <summary>
/// Where a source image ends up in the model's input: padded (LLaVA's expand2square), resized,
/// then centre-cropped. Coordinates are continuous pixel coordinates (pixel i covers [i, i+1)).
/// Used to place per-patch results (kept / pruned tokens) back on the original picture.
/// </summary>
/// <param name="SourceWidth">Width of the decoded image.</param>
/// <param name="SourceHeight">Height of the decoded image.</param>
/// <param name="PadLeft">Columns of pad colour added on the left (0 without padding).</param>
/// <param name="PadTop">Rows of pad colour added on top.</param>
/// <param name="PaddedWidth">Width after padding (= source width without padding).</param>
/// <param name="PaddedHeight">Height after padding.</param>
/// <param name="ResizedWidth">Width after the resize (= padded width when do_resize is off).</param>
/// <param name="ResizedHeight">Height after the resize.</param>
/// <param name="CropLeft">First resized column kept by the centre crop (negative: the crop is wider than the image and the rest is zeros).</param>
/// <param name="CropTop">First resized row kept by the centre crop.</param>
/// <param name="OutputWidth">Width of the model input.</param>
/// <param name="OutputHeight">Height of the model input.</param>
public sealed record PreprocessGeometry(
    int SourceWidth, int SourceHeight,
    int PadLeft, int PadTop, int PaddedWidth, int PaddedHeight,
    int ResizedWidth, int ResizedHeight,
    int CropLeft, int CropTop, int OutputWidth, int OutputHeight)
{
    /// <summary>Maps a point of the model input to the source image (may fall outside it, in the padding).</summary>
    public (double X, double Y) ToSource(double u, double v) =>
        ((u + CropLeft) * PaddedWidth / ResizedWidth - PadLeft,
         (v + CropTop) * PaddedHeight / ResizedHeight - PadTop);

    /// <summary>Maps a point of the source image to the model input.</summary>
    public (double U, double V) FromSource(double x, double y) =>
        ((x + PadLeft) * ResizedWidth / PaddedWidth - CropLeft,
         (y + PadTop) * ResizedHeight / PaddedHeight - CropTop);
}
