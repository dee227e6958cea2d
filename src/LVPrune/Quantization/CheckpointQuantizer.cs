using LVPrune.Checkpoints;
using static TorchSharp.torch;

namespace LVPrune.Quantization;

/// <summary>What <see cref="CheckpointQuantizer.Quantize"/> wrote.</summary>
/// <param name="Quantized">keys of the weights stored as int8 (each with its scales)</param>
/// <param name="Kept">keys of the tensors copied unchanged</param>
/// <param name="BytesBefore">tensor bytes of the source checkpoint</param>
/// <param name="BytesAfter">tensor bytes written (int8 values, scales, kept tensors)</param>
public sealed record QuantizeReport(IReadOnlyList<string> Quantized, IReadOnlyList<string> Kept, long BytesBefore, long BytesAfter);

/// <summary>
/// The library side of `lvprune quantize --model DIR --out DIR`: rewrites a model folder's
/// safetensors checkpoint with the selected linear weights as int8 (<see cref="Int8Checkpoint"/>'s
/// layout and metadata), one file at a time (memory: about one shard), keeping the shard layout
/// (a single model.safetensors, or the same shards plus a new index) and copying every other file
/// of the folder (config, tokenizer, the LVPruning adapter) unchanged. Each file is written under a
/// temporary name and renamed, so a failure leaves no half-written checkpoint behind.
/// </summary>
public static class CheckpointQuantizer
{
    public static QuantizeReport Quantize(string modelDir, string outDir, Int8Checkpoint format, Func<string, bool>? select = null, Action<string>? log = null)
    {
        select ??= Int8Checkpoint.IsLanguageModelLinear;
        if (!Directory.Exists(modelDir)) throw new LVPruneException($"{modelDir}: no such model folder");
        if (Path.GetFullPath(modelDir).TrimEnd('/') == Path.GetFullPath(outDir).TrimEnd('/'))
            throw new LVPruneException($"{outDir}: the output folder must differ from the model folder");
        string indexPath = Path.Combine(modelDir, CheckpointIndex.FileName);
        bool sharded = File.Exists(indexPath);
        string[] files = sharded
            ? CheckpointIndex.Read(indexPath).Values.Distinct().Order(StringComparer.Ordinal).ToArray()
            : [CheckpointIndex.SingleFileName];
        foreach (var f in files)
            if (!File.Exists(Path.Combine(modelDir, f))) throw new LVPruneException($"{Path.Combine(modelDir, f)}: checkpoint file not found");

        Directory.CreateDirectory(outDir);
        var quantized = new List<string>();
        var kept = new List<string>();
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        long before = 0, after = 0;
        foreach (var name in files)
        {
            string source = Path.Combine(modelDir, name);
            using var file = SafetensorsFile.Open(source);
            if (Int8Checkpoint.FromMetadata(file.Metadata, source) is not null)
                throw new LVPruneException($"{source}: already quantized (metadata '{Int8Checkpoint.QuantizationKey}')");
            using var scope = NewDisposeScope();
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var owned = new List<QuantizedWeight>();
            try
            {
                foreach (var (key, entry) in file.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    before += entry.ByteLength;
                    var tensor = file.Read(key);
                    if (select(key))
                    {
                        if (entry.Shape.Length != 2 || entry.Shape[1] % format.GroupSize != 0)
                            throw new LVPruneException($"{source}: '{key}' is {entry.ShapeText}; int8 in groups of {format.GroupSize} needs [out, in] with in a multiple of {format.GroupSize}");
                        var q = format.Quantize(tensor);
                        owned.Add(q);
                        format.Add(tensors, key, q);
                        quantized.Add(key);
                    }
                    else
                    {
                        tensors[key] = tensor;
                        kept.Add(key);
                    }
                }
                var metadata = new Dictionary<string, string>(file.Metadata);
                foreach (var (k, v) in format.ToMetadata()) metadata[k] = v;
                Safetensors.Save(Path.Combine(outDir, name), tensors, metadata);
                foreach (var (key, t) in tensors)
                {
                    after += t.numel() * t.element_size();
                    weightMap[key] = name;
                }
            }
            finally
            {
                foreach (var q in owned) q.Dispose();
            }
            log?.Invoke($"{name}: {quantized.Count} weights int8 so far");
        }
        if (sharded) CheckpointIndex.Write(Path.Combine(outDir, CheckpointIndex.FileName), after, weightMap);

        foreach (var path in Directory.GetFiles(modelDir))
        {
            string fileName = Path.GetFileName(path);
            if (files.Contains(fileName) || fileName == CheckpointIndex.FileName) continue;
            AtomicFile.Write(Path.Combine(outDir, fileName), tmp => File.Copy(path, tmp, overwrite: true));
        }
        return new QuantizeReport(quantized, kept, before, after);
    }
}
