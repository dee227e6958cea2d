using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace LVPrune.Checkpoints;

/// <summary>
/// Moves bytes between files and the native storage of CPU tensors with no managed copy:
/// TorchSharp's <c>Tensor.bytes</c> is a Span over the tensor's own memory, limited to 2 GiB, so a
/// larger tensor is visited as contiguous 1-D slices of at most <see cref="ChunkBytes"/>.
/// </summary>
internal static class SafetensorsTensorBytes
{
    /// <summary>Largest slice handed to one read or write call.</summary>
    private const long ChunkBytes = 1L << 30;

    private delegate void ChunkAction(Span<byte> chunk, long byteOffset);

    /// <summary>
    /// Fills a freshly allocated contiguous CPU tensor with <c>tensor.numel * element_size</c> bytes
    /// read from <paramref name="file"/> at <paramref name="fileOffset"/>.
    /// </summary>
    public static void ReadInto(Tensor tensor, SafeFileHandle file, long fileOffset, string path, string key)
    {
        VisitChunks(tensor, (chunk, byteOffset) =>
        {
            var position = fileOffset + byteOffset;
            while (!chunk.IsEmpty)
            {
                int n;
                try
                {
                    n = RandomAccess.Read(file, chunk, position);
                }
                catch (IOException e)
                {
                    throw new LVPruneException($"{path}: reading tensor '{key}' failed at byte {position}: {e.Message}", e);
                }
                if (n == 0)
                    throw new LVPruneException($"{path}: file ended at byte {position} while reading tensor '{key}' (truncated since it was opened?)");
                chunk = chunk[n..];
                position += n;
            }
        });
    }

    /// <summary>Writes the bytes of a contiguous CPU tensor to <paramref name="stream"/>.</summary>
    public static void WriteFrom(Tensor tensor, Stream stream) =>
        VisitChunks(tensor, (chunk, _) => stream.Write(chunk));

    private static void VisitChunks(Tensor tensor, ChunkAction action)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data are little-endian; this machine is big-endian");
        var count = tensor.numel();
        if (count == 0)
            return;
        var elementSize = tensor.element_size();
        var perChunk = Math.Max(1, ChunkBytes / elementSize);
        using var scope = NewDisposeScope();
        var flat = tensor.view(-1); // [numel], shares storage
        for (long start = 0; start < count; start += perChunk)
        {
            var length = Math.Min(perChunk, count - start);
            var slice = length == count ? flat : flat.narrow(0, start, length);
            action(slice.bytes, start * elementSize);
        }
    }
}
