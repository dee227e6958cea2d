using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace LVPrune.Checkpoints;

/// <summary>
/// Reads tensors by name from a checkpoint that is one safetensors file or a Hugging Face sharded
/// set. <see cref="Open"/> reads and validates every header (and the shard index) up front, so a
/// broken checkpoint fails before any weight is loaded; headers are small (~100 kB for a 7B model).
/// Each shard is opened once and kept open until <see cref="Dispose"/>.
/// </summary>
public sealed class CheckpointReader : IDisposable
{
    private readonly Dictionary<string, SafetensorsFile> _fileByKey;
    private readonly List<SafetensorsFile> _files;

    private CheckpointReader(string path, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileByKey)
    {
        Path = path;
        _files = files;
        _fileByKey = fileByKey;
        Keys = fileByKey.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The path given to <see cref="Open"/>.</summary>
    public string Path { get; }

    /// <summary>Every tensor name, in ordinal order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The opened safetensors files (one, or one per shard).</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>
    /// Opens <paramref name="pathOrDir"/>: a .safetensors file; a model.safetensors.index.json file;
    /// or a directory holding model.safetensors, else model.safetensors.index.json (sharded), else
    /// exactly one *.safetensors file (model.safetensors wins over an index, as in transformers).
    /// </summary>
    public static CheckpointReader Open(string pathOrDir)
    {
        if (File.Exists(pathOrDir))
        {
            return System.IO.Path.GetFileName(pathOrDir).EndsWith(".index.json", StringComparison.Ordinal)
                ? OpenSharded(pathOrDir, pathOrDir)
                : OpenSingle(pathOrDir, pathOrDir);
        }
        if (!Directory.Exists(pathOrDir))
            throw new LVPruneException($"{pathOrDir}: checkpoint file or directory not found");

        var single = System.IO.Path.Combine(pathOrDir, CheckpointIndex.SingleFileName);
        if (File.Exists(single))
            return OpenSingle(pathOrDir, single);
        var index = System.IO.Path.Combine(pathOrDir, CheckpointIndex.FileName);
        if (File.Exists(index))
            return OpenSharded(pathOrDir, index);
        var candidates = Directory.GetFiles(pathOrDir, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        return candidates.Length switch
        {
            1 => OpenSingle(pathOrDir, candidates[0]),
            0 => throw new LVPruneException(
                $"{pathOrDir}: no {CheckpointIndex.SingleFileName}, {CheckpointIndex.FileName} or other *.safetensors file"),
            _ => throw new LVPruneException(
                $"{pathOrDir}: {candidates.Length} *.safetensors files ({string.Join(", ", candidates.Select(System.IO.Path.GetFileName))}) and no {CheckpointIndex.FileName} to tell how they fit together"),
        };
    }

    private static CheckpointReader OpenSingle(string path, string file)
    {
        var opened = SafetensorsFile.Open(file);
        return new CheckpointReader(path, [opened], opened.Entries.Keys.ToDictionary(k => k, _ => opened, StringComparer.Ordinal));
    }

    private static CheckpointReader OpenSharded(string path, string indexPath)
    {
        var weightMap = CheckpointIndex.Read(indexPath);
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var files = new List<SafetensorsFile>();
        try
        {
            var byName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var fileByKey = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (key, shardName) in weightMap.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!byName.TryGetValue(shardName, out var shard))
                {
                    var shardPath = System.IO.Path.Combine(dir, shardName);
                    if (!File.Exists(shardPath))
                        throw new LVPruneException($"{indexPath}: shard '{shardName}' of tensor '{key}' not found at {shardPath}");
                    shard = SafetensorsFile.Open(shardPath);
                    files.Add(shard);
                    byName.Add(shardName, shard);
                }
                if (!shard.Entries.ContainsKey(key))
                    throw new LVPruneException($"{indexPath}: tensor '{key}' is mapped to shard '{shardName}', which does not hold it");
                fileByKey.Add(key, shard);
            }
            return new CheckpointReader(path, files, fileByKey);
        }
        catch
        {
            foreach (var file in files)
                file.Dispose();
            throw;
        }
    }

    /// <summary>Whether the checkpoint holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _fileByKey.ContainsKey(name);

    /// <summary>The header entry (dtype, shape, offsets) of a tensor, without reading its data.</summary>
    public bool TryGetEntry(string name, [NotNullWhen(true)] out TensorEntry? entry)
    {
        entry = null;
        return _fileByKey.TryGetValue(name, out var file) && file.Entries.TryGetValue(name, out entry);
    }

    /// <summary>The file that holds a tensor (its shard, for a sharded checkpoint).</summary>
    public string FileOf(string name) => FileFor(name).Path;

    /// <summary>Reads one tensor (see <see cref="SafetensorsFile.Read"/>).</summary>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null) =>
        FileFor(name).Read(name, dtype, device);

    private SafetensorsFile FileFor(string name) =>
        _fileByKey.TryGetValue(name, out var file)
            ? file
            : throw new LVPruneException($"{Path}: checkpoint has no tensor '{name}'");

    public void Dispose()
    {
        foreach (var file in _files)
            file.Dispose();
    }
}
