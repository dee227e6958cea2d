using System.Buffers.Binary;
using System.Text;
using static TorchSharp.torch;

namespace LVPrune.Tests.Checkpoints;

/// <summary>A temporary directory for one test, deleted with everything in it on Dispose.</summary>
internal sealed class CheckpointTempDir : IDisposable
{
    public CheckpointTempDir() =>
        Path = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lvprune-ckpt-" + Guid.NewGuid().ToString("N"))).FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Helpers that build and inspect safetensors bytes by hand, independently of the library.</summary>
internal static class CheckpointTestFiles
{
    /// <summary>A file laid out by the spec: u64 LE header length, the header text, the data.</summary>
    public static byte[] HandBuilt(string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>The raw storage bytes of a tensor (empty for a 0-element tensor).</summary>
    public static byte[] Bytes(Tensor t)
    {
        if (t.numel() == 0)
            return [];
        using var c = t.contiguous();
        return c.bytes.ToArray();
    }

    /// <summary>Asserts same dtype, same shape and bit-identical data.</summary>
    public static void AssertIdentical(Tensor expected, Tensor actual, string name = "")
    {
        Assert.True(expected.dtype == actual.dtype, $"{name}: dtype {actual.dtype}, expected {expected.dtype}");
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(Bytes(expected), Bytes(actual));
    }

    /// <summary>Runs an action that must fail with a one-line LVPruneException; returns its message.</summary>
    public static string Fails(Action action)
    {
        var message = Assert.Throws<LVPruneException>(action).Message;
        Assert.DoesNotContain('\n', message);
        return message;
    }
}
