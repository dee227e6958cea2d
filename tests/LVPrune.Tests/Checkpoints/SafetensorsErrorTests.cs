using LVPrune.Checkpoints;
using static LVPrune.Tests.Checkpoints.CheckpointTestFiles;
using static TorchSharp.torch;

namespace LVPrune.Tests.Checkpoints;

public class SafetensorsErrorTests
{
    /// <summary>Writes a hand-built file and returns the message of opening it.</summary>
    private static string OpenFails(CheckpointTempDir dir, byte[] bytes)
    {
        var path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var message = Fails(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, message);
        return message;
    }

    private const string Test2x2 = """{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""";

    [Fact]
    public void MissingFileOrDirectory()
    {
        using var dir = new CheckpointTempDir();
        var path = dir.File("nope.safetensors");
        Assert.Contains(path, Fails(() => SafetensorsFile.Open(path)));
        Assert.Contains(dir.Path, Fails(() => SafetensorsFile.Open(dir.Path)));
        Assert.Contains(path, Fails(() => Safetensors.Load(path)));
    }

    [Fact]
    public void EmptyOrTruncatedFiles()
    {
        using var dir = new CheckpointTempDir();
        Assert.Contains("0 bytes", OpenFails(dir, []));
        Assert.Contains("too short", OpenFails(dir, [0x3C, 0, 0]));
        // Length 60 but no header after it.
        Assert.Contains("runs past the end", OpenFails(dir, HandBuilt(Test2x2, [])[..8]));
        // Header length with high bits set (the reference's test vector).
        var huge = HandBuilt(Test2x2, new byte[16]);
        huge[5] = huge[6] = huge[7] = 0xFF;
        Assert.Contains("exceeds", OpenFails(dir, huge));
        // Data section 2 bytes short: the message names the tensor that runs off the end.
        var message = OpenFails(dir, HandBuilt(Test2x2, new byte[14]));
        Assert.Contains("'test'", message);
        Assert.Contains("truncated", message);
    }

    [Fact]
    public void TruncatedSavedFileNamesTheCutTensor()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("cut.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["first"] = ones(4, 4), ["last.weight"] = ones(3, ScalarType.Int8) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^1]);
        var message = Fails(() => SafetensorsFile.Open(path));
        Assert.Contains(path, message);
        Assert.Contains("'last.weight'", message);
    }

    [Fact]
    public void GarbageHeader()
    {
        using var dir = new CheckpointTempDir();
        Assert.Contains("not valid UTF-8 JSON", OpenFails(dir, HandBuilt("{", [])));
        Assert.Contains("not valid UTF-8 JSON", OpenFails(dir, HandBuilt("this is not json at all!", [])));
        var invalidUtf8 = HandBuilt("{\"x\":1}", []);
        invalidUtf8[10] = 0xFF;
        Assert.Contains("not valid UTF-8 JSON", OpenFails(dir, invalidUtf8));
        Assert.Contains("not an object", OpenFails(dir, HandBuilt("[1, 2]  ", [])));
        Assert.Contains("'test'", OpenFails(dir, HandBuilt("""{"test":[0, 16]}""", new byte[16])));
        Assert.Contains("'a'", OpenFails(dir, HandBuilt("""{"__metadata__":{"a":1}}""", [])));
        Assert.Contains("'x'", OpenFails(dir, HandBuilt("""{"x":{"dtype":"U8","shape":[1]}}""", [0])));
        var twice = OpenFails(dir, HandBuilt(
            """{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", [0, 0]));
        Assert.Contains("'x' appears twice", twice);
    }

    [Fact]
    public void UnknownDType()
    {
        using var dir = new CheckpointTempDir();
        var message = OpenFails(dir, HandBuilt("""{"w.weight":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", new byte[8]));
        Assert.Contains("'w.weight'", message);
        Assert.Contains("'F33'", message);
        Assert.Contains("'float32'", OpenFails(dir, HandBuilt("""{"w":{"dtype":"float32","shape":[2],"data_offsets":[0,8]}}""", new byte[8])));
    }

    [Fact]
    public void ShapeAndSizeMismatch()
    {
        using var dir = new CheckpointTempDir();
        // The reference's vector: [2,2] I32 is 16 bytes, the offsets span 4.
        var message = OpenFails(dir, HandBuilt("""{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}""", new byte[4]));
        Assert.Contains("'test'", message);
        Assert.Contains("16 bytes", message);
        Assert.Contains("span 4 bytes", message);
        Assert.Contains("too large", OpenFails(dir, HandBuilt(
            """{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}""", new byte[16])));
        Assert.Contains("non-negative integer", OpenFails(dir, HandBuilt(
            """{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}""", new byte[16])));
        Assert.Contains("non-negative integer", OpenFails(dir, HandBuilt(
            """{"test":{"dtype":"I32","shape":[-1,4],"data_offsets":[0,16]}}""", new byte[16])));
        Assert.Contains("end before begin", OpenFails(dir, HandBuilt(
            """{"test":{"dtype":"I32","shape":[0],"data_offsets":[16,0]}}""", new byte[16])));
    }

    [Fact]
    public void OverlappingTensors()
    {
        using var dir = new CheckpointTempDir();
        var message = OpenFails(dir, HandBuilt(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]));
        Assert.Contains("'a'", message);
        Assert.Contains("'b'", message);
        Assert.Contains("overlap", message);
    }

    [Fact]
    public void KnownDTypeWithoutTorchSharpTypeOpensButCannotBeRead()
    {
        using var dir = new CheckpointTempDir();
        var path = dir.File("fp8.safetensors");
        File.WriteAllBytes(path, HandBuilt(
            """{"q":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]},"s":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}""",
            [1, 2, 0, 0, 0, 0, 0x80, 0x3F]));
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(1f, file.Read("s").item<float>()); // gaps between tensors are tolerated
        var message = Fails(() => file.Read("q"));
        Assert.Contains(path, message);
        Assert.Contains("'q'", message);
        Assert.Contains("F8_E4M3", message);
        var missing = Fails(() => file.Read("nope"));
        Assert.Contains("'nope'", missing);
        Assert.Contains(path, missing);
    }

    [Fact]
    public void SaveRejectsWhatSafetensorsCannotHold()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var path = dir.File("x.safetensors");
        var message = Fails(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["z"] = complex(ones(2, ScalarType.Float64), zeros(2, ScalarType.Float64)) }));
        Assert.Contains("'z'", message);
        Assert.Contains("ComplexFloat64", message);
        Assert.Contains("__metadata__", Fails(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = ones(1) })));
        Assert.Empty(Directory.GetFiles(dir.Path)); // nothing written, no temp file left
        Assert.Contains(dir.Path, Fails(() => Safetensors.SaveSharded(dir.Path, new Dictionary<string, Tensor>(), 0)));
    }
}
