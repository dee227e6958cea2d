namespace LVPrune.Images;

/// <summary>
/// PIL's resampling filters, with PIL's numbers (<c>PIL.Image.Resampling</c>), which are also the
/// <c>resample</c> values found in a Hugging Face <c>preprocessor_config.json</c>.
/// </summary>
public enum PilResample
{
    Nearest = 0,
    Lanczos = 1,
    Bilinear = 2,
    Bicubic = 3,
    Box = 4,
    Hamming = 5,
}
