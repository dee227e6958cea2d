namespace LVPrune.Checkpoints;

/// <summary>
/// One tensor of a safetensors header. <see cref="Begin"/> and <see cref="End"/> are the header's
/// <c>data_offsets</c>: byte offsets relative to the start of the data section (which begins right
/// after the header, at <see cref="SafetensorsFile.DataStart"/> in the file). Shape is row-major; an
/// empty shape is a scalar.
/// </summary>
public sealed record TensorEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of bytes of data, End - Begin.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Number of elements: the product of the shape (1 for a scalar).</summary>
    public long NumberOfElements => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Shape as text, e.g. "[4096, 32000]", for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
