using static TorchSharp.torch;

namespace LVPrune.Checkpoints;

/// <summary>
/// The safetensors dtype strings, their element widths and the TorchSharp <see cref="ScalarType"/>
/// each one maps to. Every dtype of the reference implementation (huggingface/safetensors,
/// <c>Dtype</c> in src/tensor.rs) is known, so that any valid file opens and its header can be
/// validated; only those TorchSharp 0.107 can hold in a tensor can be read or written. Without a
/// TorchSharp type: U16, U32, U64 and the 8-, 6- and 4-bit floats (F8_E4M3, F8_E5M2, F8_E8M0,
/// F8_E4M3FNUZ, F8_E5M2FNUZ, F6_E2M3, F6_E3M2, F4).
/// </summary>
public static class SafetensorsDType
{
    private sealed record Info(string Name, int Bits, ScalarType? Type);

    // In the reference's order of increasing alignment: Save writes tensors in descending order of
    // this rank (then by name) as the reference does, so every tensor starts aligned to its width.
    private static readonly Info[] Table =
    [
        new("BOOL", 8, ScalarType.Bool),
        new("F4", 4, null),
        new("F6_E2M3", 6, null),
        new("F6_E3M2", 6, null),
        new("U8", 8, ScalarType.Byte),
        new("I8", 8, ScalarType.Int8),
        new("F8_E5M2", 8, null),
        new("F8_E4M3", 8, null),
        new("F8_E8M0", 8, null),
        new("F8_E4M3FNUZ", 8, null),
        new("F8_E5M2FNUZ", 8, null),
        new("I16", 16, ScalarType.Int16),
        new("U16", 16, null),
        new("F16", 16, ScalarType.Float16),
        new("BF16", 16, ScalarType.BFloat16),
        new("I32", 32, ScalarType.Int32),
        new("U32", 32, null),
        new("F32", 32, ScalarType.Float32),
        new("C64", 64, ScalarType.ComplexFloat32),
        new("F64", 64, ScalarType.Float64),
        new("I64", 64, ScalarType.Int64),
        new("U64", 64, null),
    ];

    private static readonly Dictionary<string, int> RankByName =
        Table.Select((info, rank) => (info.Name, rank)).ToDictionary(p => p.Name, p => p.rank, StringComparer.Ordinal);

    private static readonly Dictionary<ScalarType, string> NameByType =
        Table.Where(i => i.Type is not null).ToDictionary(i => i.Type!.Value, i => i.Name);

    /// <summary>Whether <paramref name="dtype"/> is a safetensors dtype string (case-sensitive, e.g. "BF16").</summary>
    public static bool IsKnown(string dtype) => RankByName.ContainsKey(dtype);

    /// <summary>Width of one element in bits (4 for F4, 6 for F6_*, otherwise 8 x bytes).</summary>
    public static int ElementBits(string dtype) => Get(dtype).Bits;

    /// <summary>Width of one element in bytes; throws for the sub-byte F4 and F6_* dtypes.</summary>
    public static int ElementSize(string dtype)
    {
        var info = Get(dtype);
        return info.Bits % 8 == 0
            ? info.Bits / 8
            : throw new LVPruneException($"safetensors dtype {dtype} is {info.Bits} bits wide, not a whole number of bytes");
    }

    /// <summary>Width of one element of a TorchSharp scalar type that safetensors can store, in bytes.</summary>
    public static int ElementSize(ScalarType type) => ElementSize(FromScalarType(type));

    /// <summary>The TorchSharp type of a safetensors dtype, or false when TorchSharp 0.107 has none (or the dtype is unknown).</summary>
    public static bool TryToScalarType(string dtype, out ScalarType type)
    {
        if (RankByName.TryGetValue(dtype, out var rank) && Table[rank].Type is { } t)
        {
            type = t;
            return true;
        }
        type = default;
        return false;
    }

    /// <summary>The TorchSharp type of a safetensors dtype; throws when it is unknown or has no TorchSharp type.</summary>
    public static ScalarType ToScalarType(string dtype) =>
        TryToScalarType(dtype, out var type)
            ? type
            : throw new LVPruneException(IsKnown(dtype)
                ? $"safetensors dtype {dtype} has no TorchSharp 0.107 scalar type"
                : $"unknown safetensors dtype '{dtype}'");

    /// <summary>The safetensors dtype string of a TorchSharp type, or false for types safetensors cannot store (quantized).</summary>
    public static bool TryFromScalarType(ScalarType type, out string dtype)
    {
        if (NameByType.TryGetValue(type, out var name))
        {
            dtype = name;
            return true;
        }
        dtype = "";
        return false;
    }

    /// <summary>The safetensors dtype string of a TorchSharp type; throws for types safetensors cannot store.</summary>
    public static string FromScalarType(ScalarType type) =>
        TryFromScalarType(type, out var name)
            ? name
            : throw new LVPruneException($"TorchSharp scalar type {type} has no safetensors dtype");

    /// <summary>The reference implementation's alignment rank (higher = wider alignment); Save orders tensors by it.</summary>
    internal static int AlignmentRank(string dtype) => RankByName[dtype];

    private static Info Get(string dtype) =>
        RankByName.TryGetValue(dtype, out var rank)
            ? Table[rank]
            : throw new LVPruneException($"unknown safetensors dtype '{dtype}'");
}
