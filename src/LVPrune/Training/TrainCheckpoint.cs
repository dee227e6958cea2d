using TorchSharp;
using TorchSharp.Modules;
using System.Text.Json;
using System.Text.Json.Serialization;
using LVPrune.Checkpoints;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>
/// A resumable training state in a folder: trainer.json (step, options, data identity, what is
/// trained) and state-NNNNNN.safetensors (trained parameters and AdamW moments). The state file is
/// written first and the JSON, which names it, last, both atomically: a crash at any moment leaves
/// the previous checkpoint usable.
/// </summary>
public sealed record TrainCheckpoint
{
    public const string JsonName = "trainer.json";

    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("total_steps")] public long TotalSteps { get; init; }
    [JsonPropertyName("state_file")] public string StateFile { get; init; } = "";
    [JsonPropertyName("objective")] public string Objective { get; init; } = "";
    [JsonPropertyName("identity")] public string Identity { get; init; } = "";
    [JsonPropertyName("data")] public string Data { get; init; } = "";
    [JsonPropertyName("data_count")] public int DataCount { get; init; }
    [JsonPropertyName("options")] public TrainerOptions Options { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static bool Exists(string dir) => File.Exists(Path.Combine(dir, JsonName));

    public static TrainCheckpoint Read(string dir)
    {
        string path = Path.Combine(dir, JsonName);
        if (!File.Exists(path)) throw new LVPruneException($"no training checkpoint in {dir} ({JsonName} missing)");
        try { return JsonSerializer.Deserialize<TrainCheckpoint>(File.ReadAllText(path), Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new LVPruneException($"{path}: corrupt training checkpoint ({e.Message})"); }
    }

    public static void Write(string dir, TrainCheckpoint meta, IReadOnlyList<(string Name, Parameter Param)> trained, AdamW optimizer)
    {
        Directory.CreateDirectory(dir);
        var previous = Exists(dir) ? Read(dir).StateFile : null;
        string stateFile = $"state-{meta.Step:D6}.safetensors";
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, p) in trained) tensors["param." + name] = p;
        foreach (var (k, v) in optimizer.State()) tensors["adamw." + k] = v;
        Safetensors.Save(Path.Combine(dir, stateFile), tensors);
        AtomicFile.WriteAllText(Path.Combine(dir, JsonName), JsonSerializer.Serialize(meta with { StateFile = stateFile }, Json));
        if (previous is not null && previous != stateFile) File.Delete(Path.Combine(dir, previous));
    }

    /// <summary>Restores parameters and optimizer state written by <see cref="Write"/>.</summary>
    public void Restore(string dir, IReadOnlyList<(string Name, Parameter Param)> trained, AdamW optimizer)
    {
        using var file = SafetensorsFile.Open(Path.Combine(dir, StateFile));
        using (no_grad())
            foreach (var (name, p) in trained)
            {
                if (!file.Entries.TryGetValue("param." + name, out var e) || !e.Shape.SequenceEqual(p.shape))
                    throw new LVPruneException($"{dir}: checkpoint has no parameter '{name}' of shape [{string.Join(", ", p.shape)}]");
                using var t = file.Read("param." + name, p.dtype, p.device);
                p.copy_(t);
            }
        optimizer.Restore(key => file.Read("adamw." + key, ScalarType.Float32), Step);
    }
}
