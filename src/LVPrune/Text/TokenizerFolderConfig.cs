using System.Text.Json;

namespace LVPrune.Text;

/// <summary>
/// What a Hugging Face tokenizer folder says besides tokenizer.model: the added tokens
/// (added_tokens.json, tokenizer_config.json "added_tokens_decoder"), the special tokens
/// (tokenizer_config.json, overridden by special_tokens_map.json, as Hugging Face does) and how
/// the dummy prefix is placed (tokenizer.json when present, else the "legacy" flag). Every file
/// is optional.
/// </summary>
internal sealed class TokenizerFolderConfig
{
    public Dictionary<string, AddedToken> AddedTokens { get; } = new(StringComparer.Ordinal);
    public string? BosToken { get; private set; }
    public string? EosToken { get; private set; }
    public string? UnkToken { get; private set; }
    public string? PadToken { get; private set; }
    public List<string> AdditionalSpecialTokens { get; } = [];
    public string ImageToken { get; private set; } = LlavaTokenizerWriter.ImageToken;

    /// <summary>The mode tokenizer.json's normaliser / pre-tokeniser implies, null without tokenizer.json.</summary>
    public DummyPrefixMode? TokenizerJsonMode { get; private set; }
    public bool? Legacy { get; private set; }
    public bool? AddPrefixSpace { get; private set; }

    /// <summary>The special-token strings (skipped by decoding with skipSpecialTokens).</summary>
    public IEnumerable<string> SpecialTokenStrings =>
        new[] { BosToken, EosToken, UnkToken, PadToken }.OfType<string>().Concat(AdditionalSpecialTokens);

    public static TokenizerFolderConfig Read(string dir)
    {
        var config = new TokenizerFolderConfig();
        ReadJson(Path.Combine(dir, "added_tokens.json"), (path, root) =>
        {
            foreach (JsonProperty p in Object(path, root, "added_tokens.json").EnumerateObject())
                config.AddedTokens[p.Name] = new AddedToken(p.Name, Int(path, p.Value, p.Name), Special: false);
        });
        ReadJson(Path.Combine(dir, "tokenizer_config.json"), (path, root) =>
        {
            Object(path, root, "tokenizer_config.json");
            if (root.TryGetProperty("added_tokens_decoder", out JsonElement decoder))
            {
                foreach (JsonProperty p in Object(path, decoder, "added_tokens_decoder").EnumerateObject())
                {
                    string key = $"added_tokens_decoder.{p.Name}";
                    if (!int.TryParse(p.Name, out int id) || id < 0) throw new LVPruneException($"{path}: key '{key}' is not a token id");
                    JsonElement entry = Object(path, p.Value, key);
                    string content = TokenString(path, entry, key) ?? throw new LVPruneException($"{path}: '{key}' has no content");
                    config.AddedTokens[content] = new AddedToken(content, id,
                        Bool(path, entry, "special") ?? false, Bool(path, entry, "lstrip") ?? false, Bool(path, entry, "rstrip") ?? false);
                }
            }
            config.ReadSpecialTokens(path, root);
            config.Legacy = Bool(path, root, "legacy");
            config.AddPrefixSpace = Bool(path, root, "add_prefix_space");
            if (root.TryGetProperty("image_token", out JsonElement image) && image.ValueKind == JsonValueKind.String)
                config.ImageToken = image.GetString()!;
        });
        ReadJson(Path.Combine(dir, "special_tokens_map.json"), (path, root) => config.ReadSpecialTokens(path, Object(path, root, "special_tokens_map.json")));
        ReadJson(Path.Combine(dir, "tokenizer.json"), (path, root) => config.TokenizerJsonMode = PrefixModeOf(Object(path, root, "tokenizer.json")));
        return config;
    }

    private void ReadSpecialTokens(string path, JsonElement root)
    {
        BosToken = TokenProperty(path, root, "bos_token") ?? BosToken;
        EosToken = TokenProperty(path, root, "eos_token") ?? EosToken;
        UnkToken = TokenProperty(path, root, "unk_token") ?? UnkToken;
        PadToken = TokenProperty(path, root, "pad_token") ?? PadToken;
        if (root.TryGetProperty("additional_special_tokens", out JsonElement extra) && extra.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement e in extra.EnumerateArray())
            {
                string? token = TokenString(path, e, "additional_special_tokens");
                if (token is not null && !AdditionalSpecialTokens.Contains(token)) AdditionalSpecialTokens.Add(token);
            }
        }
    }

    /// <summary>
    /// tokenizer.json decides for the fast tokenizer, which is what llava-hf's processor loads:
    /// a Prepend normaliser (the legacy Llama conversion, as in llava-1.5-7b-hf) puts U+2581 in
    /// front of every run between added tokens; a Metaspace pre-tokeniser places it by its
    /// prepend_scheme ("first", "always", "never"; older files: add_prefix_space).
    /// </summary>
    private static DummyPrefixMode PrefixModeOf(JsonElement root)
    {
        if (root.TryGetProperty("normalizer", out JsonElement normalizer) && FindType(normalizer, "Prepend", "normalizers") is not null)
            return DummyPrefixMode.EverySegment;
        if (root.TryGetProperty("pre_tokenizer", out JsonElement pre) && FindType(pre, "Metaspace", "pretokenizers") is JsonElement meta)
        {
            if (meta.TryGetProperty("prepend_scheme", out JsonElement scheme) && scheme.ValueKind == JsonValueKind.String)
            {
                return scheme.GetString() switch
                {
                    "first" => DummyPrefixMode.FirstSegment,
                    "never" => DummyPrefixMode.None,
                    _ => DummyPrefixMode.EverySegment,
                };
            }
            bool add = !meta.TryGetProperty("add_prefix_space", out JsonElement a) || a.ValueKind != JsonValueKind.False;
            return add ? DummyPrefixMode.EverySegment : DummyPrefixMode.None;
        }
        return DummyPrefixMode.None;
    }

    /// <summary>Finds a component of the given "type", directly or inside a Sequence's list.</summary>
    private static JsonElement? FindType(JsonElement node, string type, string listKey)
    {
        if (node.ValueKind != JsonValueKind.Object) return null;
        if (node.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String && t.GetString() == type) return node;
        if (node.TryGetProperty(listKey, out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement child in list.EnumerateArray())
                if (FindType(child, type, listKey) is JsonElement found) return found;
        }
        return null;
    }

    private static void ReadJson(string path, Action<string, JsonElement> read)
    {
        if (!File.Exists(path)) return;
        JsonDocument document;
        try
        {
            using FileStream stream = File.OpenRead(path);
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new LVPruneException($"{path}: invalid JSON ({e.Message})", e);
        }
        catch (IOException e)
        {
            throw new LVPruneException($"{path}: cannot read ({e.Message})", e);
        }
        using (document) read(path, document.RootElement);
    }

    private static JsonElement Object(string path, JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.Object ? e : throw new LVPruneException($"{path}: '{key}' must be a JSON object");

    private static int Int(string path, JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v >= 0 ? v : throw new LVPruneException($"{path}: '{key}' must be a non-negative integer id");

    private static bool? Bool(string path, JsonElement obj, string key)
    {
        if (!obj.TryGetProperty(key, out JsonElement e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new LVPruneException($"{path}: '{key}' must be true or false"),
        };
    }

    private static string? TokenProperty(string path, JsonElement obj, string key) =>
        obj.TryGetProperty(key, out JsonElement e) ? TokenString(path, e, key) : null;

    /// <summary>A token written either as a string or as an object with "content".</summary>
    private static string? TokenString(string path, JsonElement e, string key) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.Object when e.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => throw new LVPruneException($"{path}: '{key}' must be a token string or an object with \"content\""),
    };
}
