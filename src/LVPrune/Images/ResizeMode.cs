namespace LVPrune.Images;

/// <summary>How a non-square image becomes the model's square input.</summary>
public enum ResizeMode
{
    /// <summary>Original LLaVA-1.5 (the paper's numbers): pad to a square with the mean colour, then resize. Keeps the whole image.</summary>
    PadToSquare,

    /// <summary>Hugging Face llava-hf processor: resize the short side, then centre-crop (the long side's ends are lost).</summary>
    ShortSideCenterCrop,
}

public static class ResizeModeExtensions
{
    extension(ResizeMode)
    {
        /// <summary>Parses the command-line spelling: "pad" or "crop" (case-insensitive).</summary>
        public static ResizeMode Parse(string text) => text?.Trim().ToLowerInvariant() switch
        {
            "pad" => ResizeMode.PadToSquare,
            "crop" => ResizeMode.ShortSideCenterCrop,
            _ => throw new LVPruneException($"unknown resize mode '{text}': expected 'pad' (LLaVA-1.5, pad to square) or 'crop' (llava-hf, short side + centre crop)"),
        };
    }

    /// <summary>The command-line spelling: "pad" or "crop".</summary>
    public static string ToOptionString(this ResizeMode mode) => mode switch
    {
        ResizeMode.PadToSquare => "pad",
        ResizeMode.ShortSideCenterCrop => "crop",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };
}
