using LVPrune.Checkpoints;
using LVPrune.Quantization;
using LVPrune.Tests.Toy;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Tests.Quantization;

public class Int8CheckpointTests
{
    private const string Up = "language_model.model.layers.0.mlp.up_proj.weight";
    private const string Norm = "language_model.model.layers.0.input_layernorm.weight";

    [Theory]
    [InlineData(32, "F16")]
    [InlineData(64, "F32")]
    public void QuantizeSaveLoad_RoundTripsBitForBit_AndKeepsOtherTensors(int group, string scaleDType)
    {
        using var dir = new TempFolder();
        using var scope = NewDisposeScope();
        var format = new Int8Checkpoint(group, scaleDType);
        var gen = new Generator(2);
        var w = randn([96, 256], generator: gen).to(ScalarType.BFloat16);
        using var q = format.Quantize(w);
        var tensors = new Dictionary<string, Tensor> { [Norm] = ones(256, ScalarType.BFloat16) };
        format.Add(tensors, Up, q);
        string path = Path.Combine(dir.Path, "model.safetensors");
        Safetensors.Save(path, tensors, format.ToMetadata());

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(format, Int8Checkpoint.FromMetadata(file.Metadata, path));
        Assert.Equal(new[] { Up }, format.Validate(file));
        Assert.Equal(scaleDType, file.Entries[Int8Checkpoint.ScaleKey(Up)].DType);
        using var back = format.Read(file, Up);
        Assert.True(back.Values.eq(q.Values).all().item<bool>());
        Assert.True(back.Scales.eq(q.Scales).all().item<bool>(), "scales changed through the file (not rounded to the stored dtype before quantizing?)");
        Assert.True(file.Read(Norm).eq(tensors[Norm]).all().item<bool>());
    }

    [Fact]
    public void Quantization_ErrorIsAtMostHalfAStep_PerGroup()
    {
        using var scope = NewDisposeScope();
        var w = randn([64, 128], generator: new Generator(3));
        using var q = QuantizedWeight.Quantize(w, 32);
        var error = (q.Dequantize() - w).abs().view(64, 4, 32).amax([-1]);                        // [out, groups]
        var halfStep = w.abs().view(64, 4, 32).amax([-1]) / 127 / 2;
        Assert.True(error.le(halfStep * (1 + 1e-5) + 1e-12).all().item<bool>(), "an element is off by more than half a quantization step");
        Assert.Equal(127, q.Values.abs().to(ScalarType.Int32).max().item<int>()); // each group's largest |w| maps to ±127
    }

    [Fact]
    public void MissingScales_AreRejectedByName()
    {
        using var dir = new TempFolder();
        using var scope = NewDisposeScope();
        var format = Int8Checkpoint.Default;
        using var q = format.Quantize(randn(8, 64));
        string path = Path.Combine(dir.Path, "missing.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { [Up] = q.Values }, format.ToMetadata());
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<LVPruneException>(() => format.Validate(file));
        Assert.Contains($"'{Up}' has no scales '{Up}_scale'", e.Message);
        Assert.Contains("missing.safetensors", e.Message);
        Assert.Throws<LVPruneException>(() => format.Read(file, Up));
    }

    [Fact]
    public void WrongGroupSize_IsRejectedByName()
    {
        using var dir = new TempFolder();
        using var scope = NewDisposeScope();
        using var q = new Int8Checkpoint(32, "F16").Quantize(randn(8, 128));
        var tensors = new Dictionary<string, Tensor>();
        new Int8Checkpoint(32, "F16").Add(tensors, Up, q);
        string path = Path.Combine(dir.Path, "g.safetensors");
        // Scales made for groups of 32, metadata claiming groups of 64.
        Safetensors.Save(path, tensors, new Int8Checkpoint(64, "F16").ToMetadata());
        using var file = SafetensorsFile.Open(path);
        var format = Int8Checkpoint.FromMetadata(file.Metadata, path)!;
        var e = Assert.Throws<LVPruneException>(() => format.Validate(file));
        Assert.Contains($"scales '{Up}_scale' are [8, 4]; groups of 64", e.Message);
        Assert.Contains("wrong group size", e.Message);

        var bad = new Dictionary<string, string>(format.ToMetadata()) { [Int8Checkpoint.GroupSizeKey] = "48" };
        Assert.Contains("'quantization.group_size' is '48'", Assert.Throws<LVPruneException>(() => Int8Checkpoint.FromMetadata(bad, path)).Message);
    }

    [Fact]
    public void OrphanScalesAndWrongScaleDType_AreRejectedByName()
    {
        using var dir = new TempFolder();
        using var scope = NewDisposeScope();
        string path = Path.Combine(dir.Path, "o.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { [Up] = ones(8, 64), [Up + "_scale"] = ones(8, 2, ScalarType.Float16) },
            Int8Checkpoint.Default.ToMetadata());
        using (var file = SafetensorsFile.Open(path))
            Assert.Contains($"scale '{Up}_scale' has no int8 weight '{Up}'", Assert.Throws<LVPruneException>(() => Int8Checkpoint.Default.Validate(file)).Message);

        using var q = QuantizedWeight.Quantize(randn(8, 64), 32);
        Safetensors.Save(path, new Dictionary<string, Tensor> { [Up] = q.Values, [Up + "_scale"] = q.Scales }, Int8Checkpoint.Default.ToMetadata());
        using (var file = SafetensorsFile.Open(path))
            Assert.Contains($"scales '{Up}_scale' are F32, the metadata says F16", Assert.Throws<LVPruneException>(() => Int8Checkpoint.Default.Validate(file)).Message);
    }

    [Fact]
    public void UnquantizedFiles_HaveNoFormat_AndTheDefaultSelectionIsTheLanguageModelsLinears()
    {
        Assert.Null(Int8Checkpoint.FromMetadata(new Dictionary<string, string> { ["format"] = "pt" }, "x.safetensors"));
        Assert.True(Int8Checkpoint.IsLanguageModelLinear(Up));
        Assert.True(Int8Checkpoint.IsLanguageModelLinear("language_model.model.layers.31.self_attn.o_proj.weight"));
        Assert.True(Int8Checkpoint.IsLanguageModelLinear("model.language_model.layers.2.mlp.gate_proj.weight"));
        Assert.False(Int8Checkpoint.IsLanguageModelLinear(Norm));
        Assert.False(Int8Checkpoint.IsLanguageModelLinear("vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight"));
        Assert.False(Int8Checkpoint.IsLanguageModelLinear("language_model.lm_head.weight"));
    }
}
