namespace LVPrune.Toy;

/// <summary>
/// One ShapesVQA image before rendering: a square canvas of <see cref="ImageSize"/> pixels, a
/// low-contrast background and non-overlapping objects. Rendering is a pure function of it
/// (<see cref="SceneRenderer"/>).
/// </summary>
public sealed record Scene(int ImageSize, SceneBackground Background, IReadOnlyList<SceneObject> Objects);

/// <summary>
/// One object, drawn inscribed in (and touching every side of) the square cell
/// [CenterX - HalfExtent, CenterX + HalfExtent] x [CenterY - HalfExtent, CenterY + HalfExtent],
/// in pixel coordinates (x to the right, y down; pixel (i, j) covers [i, i+1] x [j, j+1]).
/// </summary>
public sealed record SceneObject(ShapeKind Shape, ObjectColor Color, ShapeSize Size, int CenterX, int CenterY, int HalfExtent)
{
    /// <summary>The tight bounding box of the drawn shape (its cell).</summary>
    public PixelBox Box => new(CenterX - HalfExtent, CenterY - HalfExtent, CenterX + HalfExtent, CenterY + HalfExtent);
}

/// <summary>An axis-aligned box in pixel coordinates: [Left, Right) x [Top, Bottom).</summary>
public readonly record struct PixelBox(int Left, int Top, int Right, int Bottom)
{
    public int Width => Right - Left;
    public int Height => Bottom - Top;

    /// <summary>True when the two boxes are at least <paramref name="gap"/> pixels apart on some axis.</summary>
    public bool IsSeparatedFrom(PixelBox other, int gap) =>
        other.Left - Right >= gap || Left - other.Right >= gap || other.Top - Bottom >= gap || Top - other.Bottom >= gap;
}

/// <summary>The pattern of a scene's background.</summary>
public enum BackgroundPattern { Noise, Stripes, Gradient }

/// <summary>
/// A grey-ish background: base colour (R, G, B) whose channels differ by at most 16, modulated by
/// the same luminance offset on every channel (so it never reaches the objects' saturation):
/// per-pixel noise of +-<see cref="Amplitude"/> (Noise), or a sine of that amplitude along
/// direction <see cref="AngleRadians"/> with period <see cref="Period"/> pixels (Stripes), or a
/// linear ramp of +-<see cref="Amplitude"/> along that direction (Gradient); the last two add
/// noise of +-<see cref="SceneRenderer.FineNoise"/>. <see cref="NoiseSeed"/> seeds the noise.
/// </summary>
public sealed record SceneBackground(
    BackgroundPattern Pattern, byte R, byte G, byte B, int Amplitude, double AngleRadians, double Period, int NoiseSeed);
