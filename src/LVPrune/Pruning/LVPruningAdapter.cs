using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using LVPrune.Checkpoints;
using LVPrune.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LVPrune.Pruning;

/// <summary>The identity of a base model an adapter was trained on: sizes and a weight fingerprint.</summary>
public sealed record BaseIdentity(int HiddenSize, int Layers, int VocabSize, int ImageTokens, string Fingerprint)
{
    /// <summary>
    /// Sizes plus a SHA-256 over a few base tensors rounded to bf16 (so fp32- and bf16-loaded copies
    /// of one checkpoint agree): the final norm, the first and last embedding rows, the projector's
    /// first bias or weight row.
    /// </summary>
    public static BaseIdentity Of(LlavaForConditionalGeneration model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var t = model.Config.TextConfig;
        var parts = new List<Tensor>();
        var named = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        parts.Add(named["language_model.model.norm.weight"]);
        var embed = named["language_model.model.embed_tokens.weight"];
        parts.Add(embed[0]); parts.Add(embed[^1]);
        parts.Add(named["multi_modal_projector.linear_1.weight"][0]);
        using var sha = SHA256.Create();
        foreach (var p in parts)
        {
            var bytes = p.to(ScalarType.BFloat16).to(ScalarType.Float32).cpu().data<float>().ToArray();
            var buffer = new byte[bytes.Length * 4];
            Buffer.BlockCopy(bytes, 0, buffer, 0, buffer.Length);
            sha.TransformBlock(buffer, 0, buffer.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        string fingerprint = Convert.ToHexString(sha.Hash!)[..16].ToLowerInvariant();
        return new BaseIdentity(t.HiddenSize, t.NumHiddenLayers, t.VocabSize, model.Config.ImageTokens, fingerprint);
    }
}

/// <summary>
/// LVPruning's trainable part: one decision module per stage, attached after chosen decoder layers
/// of a frozen base. Saved as its own safetensors file (keys "lvpruning.stages.S.…", metadata with
/// layers, training ratios, module shape and the base's identity), so the base checkpoint loads
/// strictly and pruning is switched on or off by attaching or detaching this file.
/// </summary>
public sealed class LVPruningAdapter : nn.Module
{
    public const string KeyPrefix = "lvpruning.";
    public const string Format = "lvpruning-adapter/1";

    private readonly TorchSharp.Modules.ModuleList<DecisionModule> stages;

    public DecisionModuleConfig ModuleConfig { get; }
    public IReadOnlyList<int> Layers { get; }
    public IReadOnlyList<double> TrainingKeep { get; }
    public BaseIdentity Base { get; }
    public ScalarType DType { get; }

    public LVPruningAdapter(DecisionModuleConfig moduleConfig, IReadOnlyList<int> layers, IReadOnlyList<double> trainingKeep,
                            BaseIdentity baseIdentity, ScalarType dtype, Device? device = null) : base(nameof(LVPruningAdapter))
    {
        if (layers.Count == 0) throw new LVPruneException("an adapter needs at least one stage");
        if (layers.Count != trainingKeep.Count)
            throw new LVPruneException($"{layers.Count} stage layers but {trainingKeep.Count} keep ratios");
        for (int i = 0; i < layers.Count; i++)
            if (layers[i] < 0 || layers[i] >= baseIdentity.Layers - 1 || (i > 0 && layers[i] <= layers[i - 1]))
                throw new LVPruneException($"stage layers [{string.Join(",", layers)}] must be increasing and within 0..{baseIdentity.Layers - 2}");
        KeepRatios.Validate(trainingKeep);
        ModuleConfig = moduleConfig;
        Layers = layers.ToArray();
        TrainingKeep = trainingKeep.ToArray();
        Base = baseIdentity;
        DType = dtype;
        stages = new TorchSharp.Modules.ModuleList<DecisionModule>();
        foreach (var _ in layers) stages.Add(new DecisionModule(moduleConfig, dtype, device));
        RegisterComponents();
    }

    public DecisionModule Stage(int s) => stages[s];

    /// <summary>A freshly initialised adapter for <paramref name="model"/> (default layers for its depth).</summary>
    public static LVPruningAdapter Create(LlavaForConditionalGeneration model, IReadOnlyList<double> trainingKeep, IReadOnlyList<int>? layers = null,
                                          DecisionModuleConfig? moduleConfig = null, long seed = 0)
    {
        var cfg = moduleConfig ?? new DecisionModuleConfig { Width = model.Config.TextConfig.HiddenSize };
        if (cfg.Width != model.Config.TextConfig.HiddenSize)
            throw new LVPruneException($"decision module width {cfg.Width} differs from the model's hidden size {model.Config.TextConfig.HiddenSize}");
        var adapter = new LVPruningAdapter(cfg, layers ?? KeepRatios.DefaultLayers(model.Decoder.LayerCount, trainingKeep.Count),
                                           trainingKeep, BaseIdentity.Of(model), model.ComputeDType, model.Device);
        WeightInit.Initialize(adapter, seed, std: 0.02);
        model.UseRuntimeIn(adapter);
        return adapter;
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>Writes the adapter atomically as safetensors with its metadata.</summary>
    public void Save(string path)
    {
        var tensors = state_dict().ToDictionary(kv => KeyPrefix + kv.Key, kv => kv.Value);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["layers"] = JsonSerializer.Serialize(Layers, Json),
            ["training_keep"] = JsonSerializer.Serialize(TrainingKeep, Json),
            ["module"] = JsonSerializer.Serialize(ModuleConfig, Json),
            ["base"] = JsonSerializer.Serialize(Base, Json),
        };
        Safetensors.Save(path, tensors, metadata);
    }

    /// <summary>Reads an adapter and attaches it to <paramref name="model"/>, refusing an incompatible base.</summary>
    public static LVPruningAdapter Load(string path, LlavaForConditionalGeneration model)
    {
        if (!File.Exists(path)) throw new LVPruneException($"adapter not found: {path}");
        using var file = SafetensorsFile.Open(path);
        var meta = file.Metadata;
        string Get(string key) => meta.TryGetValue(key, out var v) ? v
            : throw new LVPruneException($"{path}: not an LVPruning adapter (metadata '{key}' missing)");
        if (Get("format") != Format) throw new LVPruneException($"{path}: adapter format '{meta["format"]}' is not {Format}");
        int[] layers; double[] keep; DecisionModuleConfig moduleConfig; BaseIdentity trained;
        try
        {
            layers = JsonSerializer.Deserialize<int[]>(Get("layers"))!;
            keep = JsonSerializer.Deserialize<double[]>(Get("training_keep"))!;
            moduleConfig = JsonSerializer.Deserialize<DecisionModuleConfig>(Get("module"))!;
            trained = JsonSerializer.Deserialize<BaseIdentity>(Get("base"))!;
        }
        catch (JsonException e) { throw new LVPruneException($"{path}: corrupt adapter metadata ({e.Message})"); }

        var actual = BaseIdentity.Of(model);
        if (trained with { Fingerprint = "" } != actual with { Fingerprint = "" })
            throw new LVPruneException($"{path}: adapter was trained for a base with hidden {trained.HiddenSize}, {trained.Layers} layers, vocab {trained.VocabSize}, {trained.ImageTokens} image tokens; this model has hidden {actual.HiddenSize}, {actual.Layers} layers, vocab {actual.VocabSize}, {actual.ImageTokens} image tokens");
        if (trained.Fingerprint != actual.Fingerprint)
            throw new LVPruneException($"{path}: adapter was trained for another base model (fingerprint {trained.Fingerprint}, this model {actual.Fingerprint})");

        var adapter = new LVPruningAdapter(moduleConfig, layers, keep, trained, model.ComputeDType, model.Device);
        using var noGrad = no_grad();
        var expected = adapter.named_parameters().ToDictionary(p => KeyPrefix + p.name, p => (Tensor)p.parameter);
        foreach (var key in file.Entries.Keys)
            if (!expected.ContainsKey(key)) throw new LVPruneException($"{path}: unexpected key '{key}'");
        foreach (var (key, p) in expected)
        {
            if (!file.Entries.TryGetValue(key, out var entry)) throw new LVPruneException($"{path}: missing key '{key}'");
            if (!entry.Shape.SequenceEqual(p.shape))
                throw new LVPruneException($"{path}: '{key}' has shape {entry.ShapeText}, expected [{string.Join(", ", p.shape)}]");
            using var t = file.Read(key, p.dtype, p.device);
            p.copy_(t);
        }
        adapter.eval();
        model.UseRuntimeIn(adapter);
        return adapter;
    }

    public override string ToString() =>
        $"LVPruning adapter: layers [{string.Join(", ", Layers)}], training keep [{string.Join(", ", TrainingKeep.Select(k => k.ToString(CultureInfo.InvariantCulture)))}], " +
        $"{ModuleConfig.Blocks} blocks x {ModuleConfig.Heads} heads, width {ModuleConfig.Width}";
}
