using System.Buffers.Binary;
using System.Text;
using LVPrune.Checkpoints;
using static LVPrune.Tests.Checkpoints.CheckpointTestFiles;
using static TorchSharp.torch;

namespace LVPrune.Tests.Checkpoints;

public class SafetensorsTests
{
    /// <summary>Six distinct values of each dtype, with negatives, extremes and fractions where the type has them.</summary>
    private static Tensor Sample(string dtype) => dtype switch
    {
        "BOOL" => tensor(new[] { true, false, false, true, true, false }),
        "U8" => tensor(new byte[] { 0, 1, 127, 128, 254, 255 }),
        "I8" => tensor(new sbyte[] { sbyte.MinValue, -1, 0, 1, 42, sbyte.MaxValue }),
        "I16" => tensor(new short[] { short.MinValue, -300, 0, 1, 300, short.MaxValue }),
        "I32" => tensor(new[] { int.MinValue, -70000, 0, 1, 70000, int.MaxValue }),
        "I64" => tensor(new[] { long.MinValue, -5_000_000_000L, 0, 1, 5_000_000_000L, long.MaxValue }),
        "C64" => complex(tensor(new[] { 1.5f, -2f, 0f, 3.25f, 1e-3f, -7f }), tensor(new[] { 0f, 1f, -1f, 2.5f, 8f, -0.5f })),
        // Fractions exact in every float type, plus 1/3 whose rounding differs by type.
        _ => tensor(new[] { -2.5, -1.0, 0.0, 0.25, 1.0 / 3.0, 65504.0 }, SafetensorsDType.ToScalarType(dtype)),
    };

    [Theory]
    [InlineData("F64")]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    [InlineData("I64")]
    [InlineData("I32")]
    [InlineData("I16")]
    [InlineData("I8")]
    [InlineData("U8")]
    [InlineData("BOOL")]
    [InlineData("C64")]
    public void EveryDTypeRoundTripsBitExactly(string dtype)
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var sample = Sample(dtype).reshape(2, 3);
        Assert.Equal(SafetensorsDType.ToScalarType(dtype), sample.dtype);
        var tensors = new Dictionary<string, Tensor>
        {
            ["matrix"] = sample,
            ["scalar"] = sample[1, 2],                  // shape []
            ["empty"] = sample.narrow(1, 0, 0),          // shape [2, 0]
            ["column"] = sample[.., 1],                 // non-contiguous view
            ["nothing"] = sample.flatten().narrow(0, 0, 0), // shape [0]
        };
        var path = dir.File("m.safetensors");
        Safetensors.Save(path, tensors);

        using var file = SafetensorsFile.Open(path);
        foreach (var (name, expected) in tensors)
        {
            var entry = file.Entries[name];
            Assert.Equal(dtype, entry.DType);
            Assert.Equal(expected.shape, entry.Shape);
            Assert.Equal(expected.numel() * SafetensorsDType.ElementSize(dtype), entry.End - entry.Begin);
            AssertIdentical(expected, file.Read(name), name);
        }
        var loaded = Safetensors.Load(path);
        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, expected) in tensors)
            AssertIdentical(expected, loaded[name], name);
    }

    [Fact]
    public void ReadsAHandBuiltFile()
    {
        // Little-endian data by the spec: F32 1.5, -2 | I16 1, -2, 300 | BF16 1.0 (0x3F80), -2.5 (0xC020)
        // | F16 1.0 (0x3C00), -2.5 (0xC100) | BOOL 1, 0, 1. Offsets deliberately not in name order.
        var data = new byte[] {
            0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0,
            0x01, 0x00, 0xFE, 0xFF, 0x2C, 0x01,
            0x80, 0x3F, 0x20, 0xC0,
            0x00, 0x3C, 0x00, 0xC1,
            0x01, 0x00, 0x01,
        };
        const string header = """
            {"__metadata__":{"format":"pt","note":"hand made"},
             "z":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "b":{"dtype":"I16","shape":[3],"data_offsets":[8,14]},
             "bf":{"dtype":"BF16","shape":[1,2],"data_offsets":[14,18]},
             "h":{"dtype":"F16","shape":[2],"data_offsets":[18,22]},
             "mask":{"dtype":"BOOL","shape":[3],"data_offsets":[22,25]}}
            """;
        using var dir = new CheckpointTempDir();
        var path = dir.File("hand.safetensors");
        File.WriteAllBytes(path, HandBuilt(header, data));
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(path);

        Assert.Equal(8 + Encoding.UTF8.GetByteCount(header), file.DataStart);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "hand made" }, file.Metadata);
        var b = file.Entries["b"];
        Assert.Equal(("b", "I16", 8L, 14L), (b.Name, b.DType, b.Begin, b.End));
        Assert.Equal(new long[] { 3 }, b.Shape);
        Assert.Equal(new[] { 1.5f, -2f }, file.Read("z").data<float>().ToArray());
        Assert.Equal(new short[] { 1, -2, 300 }, file.Read("b").data<short>().ToArray());
        var bf = file.Read("bf");
        Assert.Equal(ScalarType.BFloat16, bf.dtype);
        Assert.Equal(new long[] { 1, 2 }, bf.shape);
        Assert.Equal(new[] { 1f, -2.5f }, bf.to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(new[] { 1f, -2.5f }, file.Read("h", ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(new[] { true, false, true }, file.Read("mask").data<bool>().ToArray());
    }

    [Fact]
    public void ReadsTheReferenceTestVectors()
    {
        // From huggingface/safetensors' own tests: an unpadded 60-byte header (N = '<'), and
        // whitespace around an empty header.
        using var dir = new CheckpointTempDir();
        var a = dir.File("a.safetensors");
        File.WriteAllBytes(a, HandBuilt("""{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""", new byte[16]));
        Assert.Equal((byte)'<', File.ReadAllBytes(a)[0]);
        var b = dir.File("b.safetensors");
        File.WriteAllBytes(b, HandBuilt("\t\n{}\r ", []));
        using var scope = NewDisposeScope();

        using (var file = SafetensorsFile.Open(a))
            AssertIdentical(zeros(2, 2, ScalarType.Int32), file.Read("test"));
        using (var file = SafetensorsFile.Open(b))
        {
            Assert.Empty(file.Entries);
            Assert.Empty(file.Metadata);
        }
    }

    [Fact]
    public void SaveWritesTheReferenceLayout()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("layout.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor>
        {
            ["w"] = tensor(new[] { 1f, 2f }),
            ["b"] = tensor(new byte[] { 7, 8, 9 }),
            ["s"] = tensor(-2L),
            ["a"] = tensor(new short[] { 5 }),
        }, new Dictionary<string, string> { ["z"] = "ü", ["format"] = "pt" });

        // Widest dtype first, then name (as the reference does); metadata first with sorted keys.
        const string json =
            """{"__metadata__":{"format":"pt","z":"ü"},"s":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"a":{"dtype":"I16","shape":[1],"data_offsets":[16,18]},"b":{"dtype":"U8","shape":[3],"data_offsets":[18,21]}}""";
        var jsonBytes = Encoding.UTF8.GetBytes(json);
        var padded = (jsonBytes.Length + 7) / 8 * 8;
        var bytes = File.ReadAllBytes(path);

        Assert.Equal((ulong)padded, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(jsonBytes, bytes[8..(8 + jsonBytes.Length)]);
        Assert.All(bytes[(8 + jsonBytes.Length)..(8 + padded)], c => Assert.Equal((byte)' ', c));
        var expectedData = new byte[] {
            0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // I64 -2
            0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40, // F32 1, 2
            0x05, 0x00,                                     // I16 5
            7, 8, 9,                                        // U8
        };
        Assert.Equal(expectedData, bytes[(8 + padded)..]);

        // The reference's own 2x2 I32 example: a 60-byte header padded to 64.
        var small = dir.File("small.safetensors");
        Safetensors.Save(small, new Dictionary<string, Tensor> { ["test"] = zeros(2, 2, ScalarType.Int32) });
        Assert.Equal(
            HandBuilt("""{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    """, new byte[16]),
            File.ReadAllBytes(small));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp")); // no temporary file left behind
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["config"] = """{"hidden_size": 64, "names": ["a", "b"]}""",
            ["unicode"] = "façade – 模型 \"quoted\" \\ <tag> & \n newline",
            ["empty"] = "",
        };
        var path = dir.File("meta.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = ones(3) }, metadata);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(metadata, file.Metadata);

        var bare = dir.File("bare.safetensors");
        Safetensors.Save(bare, new Dictionary<string, Tensor> { ["x"] = ones(3) });
        using var bareFile = SafetensorsFile.Open(bare);
        Assert.Empty(bareFile.Metadata);
        Assert.DoesNotContain("__metadata__", File.ReadAllText(bare));
    }

    [Fact]
    public void ReadCastsToTheRequestedDType()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("cast.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor>
        {
            ["third"] = tensor(new[] { 1f / 3f, -1f / 3f }),
            ["ints"] = tensor(new[] { 3L, -4L }),
        });
        using var file = SafetensorsFile.Open(path);

        // 1/3 in bfloat16 is 0x3EAB = 0.333984375 (8 significant bits, round to nearest).
        var bf = file.Read("third", ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf.dtype);
        Assert.Equal(new[] { 0.333984375f, -0.333984375f }, bf.to(ScalarType.Float32).data<float>().ToArray());
        var f64 = file.Read("third", ScalarType.Float64);
        Assert.Equal(new[] { (double)(1f / 3f), (double)(-1f / 3f) }, f64.data<double>().ToArray());
        Assert.Equal(new[] { 3f, -4f }, file.Read("ints", ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(ScalarType.Float32, file.Read("ints", ScalarType.Float32, CPU).dtype);

        var all = Safetensors.Load(path, ScalarType.Float16);
        Assert.All(all.Values, t => Assert.Equal(ScalarType.Float16, t.dtype));
        Assert.Equal(new[] { 3f, -4f }, all["ints"].to(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void SaveOverwritesAtomicallyAndLeavesTheCallersTensorsAlive()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("m.safetensors");
        var x = arange(6, ScalarType.Float32).reshape(2, 3);
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = x });
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["y"] = x.t() });
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, x.data<float>().ToArray()); // still usable
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(new[] { "y" }, file.Entries.Keys);
        Assert.Equal(new[] { 0f, 3f, 1f, 4f, 2f, 5f }, file.Read("y").data<float>().ToArray());
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void DTypeTableMatchesTorchSharp()
    {
        foreach (var (name, size) in new[] { ("F64", 8), ("F32", 4), ("F16", 2), ("BF16", 2), ("I64", 8), ("I32", 4), ("I16", 2), ("I8", 1), ("U8", 1), ("BOOL", 1), ("C64", 8) })
        {
            var type = SafetensorsDType.ToScalarType(name);
            Assert.Equal(name, SafetensorsDType.FromScalarType(type));
            Assert.Equal(size, SafetensorsDType.ElementSize(name));
            using var probe = empty(1, type);
            Assert.Equal(size, probe.element_size());
        }
        Assert.True(SafetensorsDType.IsKnown("F8_E4M3"));
        Assert.False(SafetensorsDType.TryToScalarType("F8_E4M3", out _));
        Assert.Contains("F8_E4M3", Assert.Throws<LVPruneException>(() => SafetensorsDType.ToScalarType("F8_E4M3")).Message);
        Assert.Contains("'f32'", Assert.Throws<LVPruneException>(() => SafetensorsDType.ToScalarType("f32")).Message);
        Assert.Throws<LVPruneException>(() => SafetensorsDType.FromScalarType(ScalarType.QInt8));
    }
}
