using LVPrune.Checkpoints;
using static TorchSharp.torch;

namespace LVPrune.Quantization;

/// <summary>
/// How an int8 checkpoint is written in safetensors, and the checks that read it back.
/// <list type="bullet">
/// <item>Each quantized linear keeps its key: <c>&lt;module&gt;.weight</c> holds the int8 values
/// [out, in] (dtype I8), and <c>&lt;module&gt;.weight_scale</c> the scales [out, in / group] (F16 or
/// F32), as separate tensors. Every other tensor (norms, embeddings, the vision tower, the
/// projector, LVPruning's decision modules) is stored as before.</item>
/// <item>The header's <c>__metadata__</c> names the format: <c>"quantization": "int8"</c>,
/// <c>"quantization.group_size": "32"</c> (or "64"), <c>"quantization.scale_dtype": "F16"</c> (or "F32").
/// A file without <c>"quantization"</c> is not quantized.</item>
/// </list>
/// Reading is strict: an I8 weight without its scale, a scale without its weight, a scale whose
/// shape does not fit the group size, or metadata naming another group size or scale dtype are all
/// rejected with the file and the key at fault.
/// </summary>
public sealed record Int8Checkpoint(int GroupSize, string ScaleDType)
{
    public const string QuantizationKey = "quantization";
    public const string GroupSizeKey = "quantization.group_size";
    public const string ScaleDTypeKey = "quantization.scale_dtype";
    public const string Int8 = "int8";

    /// <summary>Suffix appended to a weight's key for its scales: "….q_proj.weight" -> "….q_proj.weight_scale".</summary>
    public const string ScaleSuffix = "_scale";

    /// <summary>Q8_0's layout: groups of 32, fp16 scales.</summary>
    public static Int8Checkpoint Default { get; } = new(32, "F16");

    public static string ScaleKey(string weightKey) => weightKey + ScaleSuffix;

    public ScalarType ScaleType => ScaleDType == "F16" ? ScalarType.Float16 : ScalarType.Float32;

    /// <summary>The header metadata of this format.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        [QuantizationKey] = Int8,
        [GroupSizeKey] = GroupSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [ScaleDTypeKey] = ScaleDType,
    };

    /// <summary>The format a file's metadata declares, or null for a file that is not quantized.</summary>
    public static Int8Checkpoint? FromMetadata(IReadOnlyDictionary<string, string> metadata, string file)
    {
        if (!metadata.TryGetValue(QuantizationKey, out var kind)) return null;
        if (kind != Int8) throw new LVPruneException($"{file}: metadata '{QuantizationKey}' is '{kind}'; LVPrune reads '{Int8}'");
        if (!metadata.TryGetValue(GroupSizeKey, out var g)) throw new LVPruneException($"{file}: int8 checkpoint without metadata '{GroupSizeKey}'");
        if (!int.TryParse(g, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int group) || !QuantizedWeight.GroupSizes.Contains(group))
            throw new LVPruneException($"{file}: metadata '{GroupSizeKey}' is '{g}'; the group size must be one of {string.Join(", ", QuantizedWeight.GroupSizes)}");
        if (!metadata.TryGetValue(ScaleDTypeKey, out var s)) throw new LVPruneException($"{file}: int8 checkpoint without metadata '{ScaleDTypeKey}'");
        if (s is not ("F16" or "F32")) throw new LVPruneException($"{file}: metadata '{ScaleDTypeKey}' is '{s}'; scales must be F16 or F32");
        return new Int8Checkpoint(group, s);
    }

    /// <summary>Quantizes a weight for this format (scales rounded to its scale dtype).</summary>
    public QuantizedWeight Quantize(Tensor weight) => QuantizedWeight.Quantize(weight, GroupSize, ScaleType);

    /// <summary>Adds <paramref name="weight"/> under <paramref name="weightKey"/> and its scales under <see cref="ScaleKey"/>, as this format stores them.</summary>
    public void Add(IDictionary<string, Tensor> tensors, string weightKey, QuantizedWeight weight)
    {
        if (weight.GroupSize != GroupSize) throw new ArgumentException($"'{weightKey}' is quantized in groups of {weight.GroupSize}, the checkpoint in groups of {GroupSize}");
        tensors[weightKey] = weight.Values;
        tensors[ScaleKey(weightKey)] = weight.Scales.to(ScaleType);
    }

    /// <summary>
    /// The quantized weights of <paramref name="file"/>: every I8 tensor with its scale, checked
    /// against this format. Throws on an I8 tensor without scale, a scale without I8 weight, or a
    /// scale of the wrong dtype or shape. Returns the weight keys.
    /// </summary>
    public IReadOnlyList<string> Validate(SafetensorsFile file)
    {
        var weights = new List<string>();
        foreach (var entry in file.Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Name.EndsWith(ScaleSuffix, StringComparison.Ordinal))
            {
                string weightKey = entry.Name[..^ScaleSuffix.Length];
                if (!file.Entries.TryGetValue(weightKey, out var w) || w.DType != "I8")
                    throw new LVPruneException($"{file.Path}: scale '{entry.Name}' has no int8 weight '{weightKey}'");
                continue;
            }
            if (entry.DType != "I8") continue;
            CheckPair(file.Path, entry, file.Entries.GetValueOrDefault(ScaleKey(entry.Name)));
            weights.Add(entry.Name);
        }
        return weights;
    }

    /// <summary>Reads one quantized weight (values and scales), checked as in <see cref="Validate"/>.</summary>
    public QuantizedWeight Read(SafetensorsFile file, string weightKey)
    {
        if (!file.Entries.TryGetValue(weightKey, out var entry)) throw new LVPruneException($"{file.Path}: no tensor '{weightKey}'");
        if (entry.DType != "I8") throw new LVPruneException($"{file.Path}: '{weightKey}' is {entry.DType}, an int8 checkpoint stores it as I8");
        CheckPair(file.Path, entry, file.Entries.GetValueOrDefault(ScaleKey(weightKey)));
        using var scope = NewDisposeScope();
        return new QuantizedWeight(file.Read(weightKey), file.Read(ScaleKey(weightKey)), GroupSize);
    }

    private void CheckPair(string path, TensorEntry weight, TensorEntry? scale)
    {
        string scaleKey = ScaleKey(weight.Name);
        if (weight.Shape.Length != 2) throw new LVPruneException($"{path}: int8 weight '{weight.Name}' is {weight.ShapeText}, not [out, in]");
        if (scale is null) throw new LVPruneException($"{path}: int8 weight '{weight.Name}' has no scales '{scaleKey}'");
        if (scale.DType != ScaleDType) throw new LVPruneException($"{path}: scales '{scaleKey}' are {scale.DType}, the metadata says {ScaleDType}");
        long outF = weight.Shape[0], inF = weight.Shape[1];
        if (inF % GroupSize != 0) throw new LVPruneException($"{path}: int8 weight '{weight.Name}' has {inF} inputs, not a whole number of groups of {GroupSize}");
        if (scale.Shape.Length != 2 || scale.Shape[0] != outF || scale.Shape[1] != inF / GroupSize)
            throw new LVPruneException($"{path}: scales '{scaleKey}' are {scale.ShapeText}; groups of {GroupSize} over {weight.ShapeText} need [{outF}, {inF / GroupSize}] (wrong group size?)");
    }

    /// <summary>
    /// Which tensors `quantize` turns to int8 by default: the language model's linear weights (its
    /// attention and MLP projections), the bulk of the bytes. The vision tower, projector, embeddings,
    /// norms, LM head and LVPruning's modules keep their dtype. Both key spellings of transformers
    /// (before 4.52 "language_model.model.layers.", after "model.language_model.layers.") are matched.
    /// </summary>
    public static bool IsLanguageModelLinear(string key) =>
        (key.StartsWith("language_model.model.layers.", StringComparison.Ordinal) || key.StartsWith("model.language_model.layers.", StringComparison.Ordinal))
        && key.EndsWith("_proj.weight", StringComparison.Ordinal);
}
