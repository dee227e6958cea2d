using System.Buffers.Binary;
using static TorchSharp.torch;

namespace LVPrune.Checkpoints;

/// <summary>
/// Whole-checkpoint safetensors operations: save one file, save Hugging Face style shards, load
/// everything. Files are written atomically and streamed tensor by tensor (one contiguous CPU copy
/// of one tensor at a time at most; no buffer of the whole file).
/// </summary>
public static class Safetensors
{
    /// <summary>
    /// Writes <paramref name="tensors"/> to one safetensors file. Layout as the reference writes it:
    /// 8-byte little-endian header length N, the compact JSON header padded with spaces to a
    /// multiple of 8, then the data of each tensor, ordered by descending dtype width (the
    /// reference's alignment order: 8-byte types first ... BOOL last) and then by name, so that
    /// every tensor starts at an offset aligned to its element size. Metadata keys come first in
    /// the header, in ordinal order. Tensors may live on any device and need not be contiguous.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data are little-endian; this machine is big-endian");
        var layout = Layout(path, tensors);
        var header = SafetensorsHeader.Build(layout, metadata);
        if (header.Length > SafetensorsHeader.MaxHeaderBytes)
            throw new LVPruneException($"{path}: the header would be {header.Length} bytes, over the {SafetensorsHeader.MaxHeaderBytes}-byte limit readers accept");
        var dataLength = layout.Count == 0 ? 0 : layout[^1].End;

        WriteAtomically(path, 8 + header.Length + dataLength, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            using var noGrad = no_grad();
            foreach (var entry in layout)
            {
                using var scope = NewDisposeScope();
                var data = tensors[entry.Name].detach().cpu().contiguous();
                SafetensorsTensorBytes.WriteFrom(data, stream);
            }
        });
    }

    /// <summary>
    /// Streams a file through <see cref="AtomicFile"/> (temporary name, then rename), preallocated to
    /// its final length, unbuffered (data arrive in large spans) and flushed to disk before the
    /// rename. I/O errors become an LVPruneException naming the file.
    /// </summary>
    internal static void WriteAtomically(string path, long length, Action<Stream> write)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            BufferSize = 0,
            PreallocationSize = length,
        };
        try
        {
            AtomicFile.Write(path, temp =>
            {
                using var stream = new FileStream(temp, options);
                write(stream);
                stream.Flush(flushToDisk: true);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LVPruneException($"{path}: cannot write: {e.Message}", e);
        }
    }

    /// <summary>The entries of a file holding <paramref name="tensors"/>, in the order Save writes them.</summary>
    private static List<TensorEntry> Layout(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var entries = new List<TensorEntry>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (name.Length == 0 || name == SafetensorsHeader.MetadataKey)
                throw new LVPruneException($"{path}: '{name}' cannot be a tensor name");
            if (!SafetensorsDType.TryFromScalarType(tensor.dtype, out var dtype))
                throw new LVPruneException($"{path}: tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store");
            entries.Add(new TensorEntry(name, dtype, tensor.shape, 0, tensor.numel() * tensor.element_size()));
        }
        entries.Sort((a, b) =>
        {
            var byRank = SafetensorsDType.AlignmentRank(b.DType).CompareTo(SafetensorsDType.AlignmentRank(a.DType));
            return byRank != 0 ? byRank : string.CompareOrdinal(a.Name, b.Name);
        });
        long offset = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var length = entries[i].End;
            entries[i] = entries[i] with { Begin = offset, End = offset + length };
            offset += length;
        }
        return entries;
    }

    /// <summary>
    /// Loads every tensor of a checkpoint (a .safetensors file, or a directory as accepted by
    /// <see cref="CheckpointReader.Open"/>), cast to <paramref name="dtype"/> when given. The tensors
    /// belong to the caller's dispose scope.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, ScalarType? dtype = null)
    {
        using var reader = CheckpointReader.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var key in reader.Keys)
                result.Add(key, reader.Read(key, dtype));
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Saves in the Hugging Face sharded layout: tensors in ordinal name order are packed into
    /// shards <c>model-0000i-of-0000n.safetensors</c> of at most <paramref name="maxShardBytes"/> of
    /// data each (a larger tensor gets a shard of its own), plus <c>model.safetensors.index.json</c>.
    /// When everything fits in one shard, writes a single <c>model.safetensors</c> and no index.
    /// Metadata goes into every file. Files of the other layout, and shards of a former save that
    /// the new one does not use, are deleted so that the directory holds exactly one checkpoint.
    /// </summary>
    public static void SaveSharded(string dir, IReadOnlyDictionary<string, Tensor> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (maxShardBytes <= 0)
            throw new LVPruneException($"{dir}: maximum shard size must be positive, got {maxShardBytes}");
        var shards = new List<List<string>>();
        long current = 0, total = 0;
        foreach (var name in tensors.Keys.Order(StringComparer.Ordinal))
        {
            var bytes = tensors[name].numel() * tensors[name].element_size();
            if (shards.Count == 0 || (shards[^1].Count > 0 && current + bytes > maxShardBytes))
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(name);
            current += bytes;
            total += bytes;
        }

        Directory.CreateDirectory(dir);
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (shards.Count <= 1)
        {
            Save(System.IO.Path.Combine(dir, CheckpointIndex.SingleFileName), tensors, metadata);
            written.Add(CheckpointIndex.SingleFileName);
        }
        else
        {
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < shards.Count; i++)
            {
                var file = CheckpointIndex.ShardFileName(i + 1, shards.Count);
                Save(System.IO.Path.Combine(dir, file), shards[i].ToDictionary(n => n, n => tensors[n]), metadata);
                foreach (var name in shards[i])
                    weightMap.Add(name, file);
                written.Add(file);
            }
            CheckpointIndex.Write(System.IO.Path.Combine(dir, CheckpointIndex.FileName), total, weightMap);
            written.Add(CheckpointIndex.FileName);
        }
        DeleteStale(dir, written);
    }

    private static void DeleteStale(string dir, HashSet<string> written)
    {
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            var name = System.IO.Path.GetFileName(file);
            var ours = name is CheckpointIndex.SingleFileName or CheckpointIndex.FileName || CheckpointIndex.IsShardFileName(name);
            if (ours && !written.Contains(name))
                File.Delete(file);
        }
    }
}
