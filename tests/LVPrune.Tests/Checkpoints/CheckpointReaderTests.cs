using System.Text.Json;
using LVPrune.Checkpoints;
using static LVPrune.Tests.Checkpoints.CheckpointTestFiles;
using static TorchSharp.torch;

namespace LVPrune.Tests.Checkpoints;

public class CheckpointReaderTests
{
    // 40 + 24 + 100 + 8 + 16 = 188 bytes. With 48-byte shards, packed in name order:
    // [a] (40; +24 > 48) | [b] (24; +100 > 48) | [c] (100, alone) | [d, e] (8 + 16).
    private static Dictionary<string, Tensor> Sample() => new()
    {
        ["a.weight"] = arange(10, ScalarType.Float32),
        ["b.bias"] = linspace(-1, 1, 6).to(ScalarType.Float32).reshape(2, 3),
        ["c.big"] = arange(25, ScalarType.Float32).reshape(5, 5).t(), // non-contiguous
        ["d.mask"] = tensor(new[] { true, false, true, true, false, false, true, false }),
        ["e.idx"] = tensor(new[] { -7L, 9L }),
    };

    private static readonly Dictionary<string, string> ExpectedShardOf = new()
    {
        ["a.weight"] = "model-00001-of-00004.safetensors",
        ["b.bias"] = "model-00002-of-00004.safetensors",
        ["c.big"] = "model-00003-of-00004.safetensors",
        ["d.mask"] = "model-00004-of-00004.safetensors",
        ["e.idx"] = "model-00004-of-00004.safetensors",
    };

    private static string[] FileNames(string dir) =>
        Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void ShardedSaveLoadsEqualToUnsharded()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var tensors = Sample();
        var sharded = Path.Combine(dir.Path, "sharded");
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        Safetensors.SaveSharded(sharded, tensors, maxShardBytes: 48, metadata);

        Assert.Equal(
            ExpectedShardOf.Values.Distinct().Append("model.safetensors.index.json").Order(StringComparer.Ordinal),
            FileNames(sharded));
        using (var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(sharded, "model.safetensors.index.json"))))
        {
            Assert.Equal(188, index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
            var map = index.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            Assert.Equal(ExpectedShardOf, map);
        }

        var single = dir.File("single.safetensors");
        Safetensors.Save(single, tensors, metadata);
        var fromShards = Safetensors.Load(sharded);
        var fromSingle = Safetensors.Load(single);
        Assert.Equal(tensors.Keys.Order(), fromShards.Keys.Order());
        foreach (var (name, expected) in tensors)
        {
            AssertIdentical(expected, fromShards[name], name);
            AssertIdentical(fromSingle[name], fromShards[name], name);
        }

        using var reader = CheckpointReader.Open(sharded);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), reader.Keys);
        Assert.Equal(4, reader.Files.Count);
        Assert.All(reader.Files, f => Assert.Equal(metadata, f.Metadata));
        Assert.Equal(ExpectedShardOf["e.idx"], Path.GetFileName(reader.FileOf("e.idx")));
        Assert.True(reader.TryGetEntry("c.big", out var entry));
        Assert.Equal(("F32", 100L), (entry.DType, entry.ByteLength));
        Assert.Equal(new long[] { 5, 5 }, entry.Shape);
        Assert.False(reader.TryGetEntry("zzz", out _));
        Assert.True(reader.Contains("d.mask"));
        AssertIdentical(tensors["b.bias"].to(ScalarType.BFloat16), reader.Read("b.bias", ScalarType.BFloat16));
        var missing = Fails(() => reader.Read("zzz"));
        Assert.Contains("'zzz'", missing);
        Assert.Contains(sharded, missing);

        // Opening the index file itself works too.
        using var byIndex = CheckpointReader.Open(Path.Combine(sharded, "model.safetensors.index.json"));
        Assert.Equal(reader.Keys, byIndex.Keys);
    }

    [Fact]
    public void SaveShardedWritesOneFileWhenEverythingFitsAndRemovesStaleLayouts()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        var tensors = Sample();
        Safetensors.SaveSharded(dir.Path, tensors, maxShardBytes: 48);
        Assert.Equal(5, FileNames(dir.Path).Length);
        File.WriteAllText(dir.File("config.json"), "{}"); // not ours: must survive

        Safetensors.SaveSharded(dir.Path, tensors, maxShardBytes: 188);
        Assert.Equal(new[] { "config.json", "model.safetensors" }, FileNames(dir.Path));
        var loaded = Safetensors.Load(dir.Path);
        foreach (var (name, expected) in tensors)
            AssertIdentical(expected, loaded[name], name);

        Safetensors.SaveSharded(dir.Path, tensors, maxShardBytes: 100);
        Assert.Equal(
            new[] { "config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                    "model-00003-of-00003.safetensors", "model.safetensors.index.json" },
            FileNames(dir.Path));
    }

    [Fact]
    public void MissingShardNamesShardAndKey()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        Safetensors.SaveSharded(dir.Path, Sample(), maxShardBytes: 48);
        File.Delete(dir.File(ExpectedShardOf["b.bias"]));
        var message = Fails(() => CheckpointReader.Open(dir.Path));
        Assert.Contains(ExpectedShardOf["b.bias"], message);
        Assert.Contains("'b.bias'", message);
        Assert.Contains("not found", message);
    }

    [Fact]
    public void IndexThatMisplacesAKeyOrLacksAWeightMapIsRejected()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        Safetensors.SaveSharded(dir.Path, Sample(), maxShardBytes: 48);
        var indexPath = dir.File("model.safetensors.index.json");
        var text = File.ReadAllText(indexPath);

        File.WriteAllText(indexPath, text.Replace("\"a.weight\": \"model-00001", "\"a.weight\": \"model-00003"));
        var message = Fails(() => CheckpointReader.Open(dir.Path));
        Assert.Contains("'a.weight'", message);
        Assert.Contains("model-00003-of-00004.safetensors", message);
        Assert.Contains(indexPath, message);

        File.WriteAllText(indexPath, """{"metadata": {"total_size": 188}}""");
        Assert.Contains("weight_map", Fails(() => CheckpointReader.Open(dir.Path)));
        File.WriteAllText(indexPath, "{ not json");
        Assert.Contains(indexPath, Fails(() => CheckpointReader.Open(dir.Path)));
    }

    [Fact]
    public void DirectoryResolution()
    {
        using var dir = new CheckpointTempDir();
        using var scope = NewDisposeScope();
        Assert.Contains(dir.Path, Fails(() => CheckpointReader.Open(dir.Path))); // empty
        var nowhere = dir.File("absent");
        Assert.Contains(nowhere, Fails(() => CheckpointReader.Open(nowhere)));

        Safetensors.Save(dir.File("adapter.safetensors"), new Dictionary<string, Tensor> { ["p"] = ones(2) });
        using (var reader = CheckpointReader.Open(dir.Path))
            Assert.Equal(new[] { "p" }, reader.Keys);

        Safetensors.Save(dir.File("other.safetensors"), new Dictionary<string, Tensor> { ["q"] = ones(2) });
        var message = Fails(() => CheckpointReader.Open(dir.Path));
        Assert.Contains("adapter.safetensors", message);
        Assert.Contains("other.safetensors", message);

        using (var reader = CheckpointReader.Open(dir.File("other.safetensors")))
            Assert.Equal(new[] { "q" }, reader.Keys);

        Safetensors.Save(dir.File("model.safetensors"), new Dictionary<string, Tensor> { ["m"] = ones(2) });
        using (var reader = CheckpointReader.Open(dir.Path))
            Assert.Equal(new[] { "m" }, reader.Keys);
    }
}
