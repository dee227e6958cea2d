using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace LVPrune.Checkpoints;

/// <summary>
/// An open safetensors file: its header is read and validated by <see cref="Open"/>, tensors are
/// read one at a time by <see cref="Read"/> straight from the file into tensor storage. Reads are
/// positional, so one instance may serve several threads.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    private readonly SafeFileHandle _handle;

    private SafetensorsFile(string path, SafeFileHandle handle, long dataStart,
        Dictionary<string, string> metadata, Dictionary<string, TensorEntry> entries)
    {
        Path = path;
        _handle = handle;
        DataStart = dataStart;
        Metadata = metadata;
        Entries = entries;
    }

    /// <summary>The path the file was opened with.</summary>
    public string Path { get; }

    /// <summary>The header's "__metadata__" map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor of the header by name.</summary>
    public IReadOnlyDictionary<string, TensorEntry> Entries { get; }

    /// <summary>File offset of the data section: 8 + header length.</summary>
    public long DataStart { get; }

    /// <summary>Opens a file and validates its header (see <see cref="SafetensorsHeader.Parse"/>).</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data are little-endian; this machine is big-endian");
        if (Directory.Exists(path))
            throw new LVPruneException($"{path}: is a directory, not a .safetensors file");
        if (!File.Exists(path))
            throw new LVPruneException($"{path}: safetensors file not found");

        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"{path}: cannot open: {e.Message}", e);
        }
        try
        {
            var (dataStart, parsed) = ReadHeader(handle, path);
            return new SafetensorsFile(path, handle, dataStart, parsed.Metadata, parsed.Entries);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static (long DataStart, SafetensorsHeader.Parsed Parsed) ReadHeader(SafeFileHandle handle, string path)
    {
        var fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
            throw new LVPruneException($"{path}: {fileLength} bytes, too short for a safetensors file (empty or truncated)");
        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(handle, lengthBytes, 0, path);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)SafetensorsHeader.MaxHeaderBytes)
            throw new LVPruneException(
                $"{path}: header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit (not a safetensors file?)");
        if (8 + (long)headerLength > fileLength)
            throw new LVPruneException(
                $"{path}: header length {headerLength} runs past the end of the {fileLength}-byte file (truncated or not a safetensors file)");

        var json = new byte[headerLength];
        ReadExactly(handle, json, 8, path);
        var dataStart = 8 + (long)headerLength;
        return (dataStart, SafetensorsHeader.Parse(json, path, fileLength - dataStart));
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long position, string path)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                var n = RandomAccess.Read(handle, buffer, position);
                if (n == 0)
                    throw new LVPruneException($"{path}: file ended at byte {position} while reading the header (truncated?)");
                buffer = buffer[n..];
                position += n;
            }
        }
        catch (IOException e)
        {
            throw new LVPruneException($"{path}: reading the header failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads one tensor: allocates an empty CPU tensor of the stored dtype and shape, reads the file
    /// bytes straight into its storage, then casts to <paramref name="dtype"/> and moves to
    /// <paramref name="device"/> when they differ. The result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (!Entries.TryGetValue(name, out var entry))
            throw new LVPruneException($"{Path}: no tensor '{name}'");
        if (!SafetensorsDType.TryToScalarType(entry.DType, out var stored))
            throw new LVPruneException($"{Path}: tensor '{name}' has dtype {entry.DType}, which TorchSharp 0.107 cannot hold");

        using var scope = NewDisposeScope();
        var tensor = empty(entry.Shape, stored, CPU);
        SafetensorsTensorBytes.ReadInto(tensor, _handle, DataStart + entry.Begin, Path, name);
        var targetType = dtype ?? stored;
        var targetDevice = device ?? CPU;
        if (targetType != stored || targetDevice.type != TorchSharp.DeviceType.CPU)
            tensor = tensor.to(targetType, targetDevice);
        return tensor.MoveToOuterDisposeScope();
    }

    public void Dispose() => _handle.Dispose();
}
