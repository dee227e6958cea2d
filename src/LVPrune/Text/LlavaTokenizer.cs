using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace LVPrune.Text;

/// <summary>
/// The tokenizer of a LLaVA-1.5 checkpoint in the llava-hf layout: SentencePiece BPE
/// (tokenizer.model, run by Microsoft.ML.Tokenizers' LlamaTokenizer) plus the added tokens of
/// the Hugging Face files (&lt;image&gt;, &lt;pad&gt;, ...).
/// <para>
/// Encoding follows the Hugging Face fast tokenizer that llava-hf's processor loads:
/// (1) added tokens, and the special tokens, are cut out first and give their single id;
/// (2) each run of text in between is normalised (spaces become U+2581, the dummy-prefix U+2581 is
/// added according to <see cref="PrefixMode"/>) and encoded by SentencePiece BPE with byte
/// fallback; (3) &lt;s&gt; is put in front (add_bos_token), never &lt;/s&gt; at the end.
/// </para>
/// <para>
/// The dummy prefix decides the ids around &lt;image&gt;. llava-hf/llava-1.5-7b-hf's
/// tokenizer.json carries the legacy normaliser Sequence[Prepend("▁"), Replace(" ", "▁")], which
/// Hugging Face applies to each run after cutting out added tokens, so the text after &lt;image&gt;
/// gets its own "▁". transformers' own test (tests/models/llava/test_processor_llava.py,
/// test_chat_template_dict) expects for "USER: &lt;image&gt;\nWhat is shown in this image? ASSISTANT:"
/// the ids [1, 3148, 1001, 29901, 29871, 32000, 29871, 13, 5618, 338, 4318, 297, 445, 1967, 29973,
/// 319, 1799, 9047, 13566, 29901], i.e. &lt;s&gt; ▁US ER : ▁ &lt;image&gt; ▁ &lt;0x0A&gt; What ▁is ▁shown ...
/// ▁A SS IST ANT :. The same "▁" after &lt;image&gt; is what original LLaVA fed its model, since
/// tokenizer_image_token encodes the chunks around &lt;image&gt; separately. The slow
/// LlamaTokenizer with "legacy": false (also in that folder's tokenizer_config.json) would drop
/// that 29871; it is not what the processor uses. So: tokenizer.json, when present, decides;
/// without it the "legacy" flag decides as Hugging Face would convert (missing or true: every run,
/// false: first run only); a caller can force a mode.
/// </para>
/// <para>
/// Microsoft.ML.Tokenizers is given already-normalised runs with its own normalisation and
/// special-token handling turned off: it normalises the whole text before cutting out special
/// tokens, which would give the "legacy": false ids.
/// </para>
/// </summary>
public sealed partial class LlavaTokenizer
{
    private readonly LlamaTokenizer _sentencePiece;
    private readonly string?[] _tokens;       // id -> piece or added-token text
    private readonly int[] _byteValue;        // id -> byte of a <0xNN> piece, or -1
    private readonly bool[] _special;         // id -> skipped by Decode(skipSpecialTokens: true)
    private readonly AddedToken[] _addedTokens; // longest first, for AddedTokenSplitter
    private readonly Dictionary<string, int> _addedIds;
    private readonly string _imageToken;
    private readonly int? _imageTokenId;

    private LlavaTokenizer(string modelDir, LlamaTokenizer sentencePiece, TokenizerFolderConfig config, DummyPrefixMode? prefixMode)
    {
        ModelDirectory = modelDir;
        _sentencePiece = sentencePiece;
        IReadOnlyDictionary<string, int> vocabulary = sentencePiece.Vocabulary;
        int spSize = vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1;

        // Special tokens named in the config but not listed as added tokens (older folders) are
        // still cut out of the text, with their SentencePiece id.
        var specialStrings = new HashSet<string>(config.SpecialTokenStrings, StringComparer.Ordinal);
        foreach (string s in specialStrings)
        {
            if (!config.AddedTokens.ContainsKey(s) && vocabulary.TryGetValue(s, out int id))
                config.AddedTokens[s] = new AddedToken(s, id);
        }
        foreach (AddedToken t in config.AddedTokens.Values)
        {
            if (t.Id < spSize && vocabulary.TryGetValue(t.Content, out int spId) && spId != t.Id)
                throw new LVPruneException($"{modelDir}: added token '{t.Content}' has id {t.Id} but tokenizer.model has it as id {spId}");
        }
        _addedTokens = AddedTokenSplitter.LongestFirst(config.AddedTokens.Values);
        _addedIds = _addedTokens.ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);

        VocabSize = Math.Max(spSize, _addedTokens.Length == 0 ? 0 : _addedTokens.Max(t => t.Id) + 1);
        _tokens = new string?[VocabSize];
        _byteValue = Enumerable.Repeat(-1, VocabSize).ToArray();
        _special = new bool[VocabSize];
        foreach ((string piece, int id) in vocabulary)
        {
            _tokens[id] = piece;
            Match m = BytePieceRegex().Match(piece);
            if (m.Success) _byteValue[id] = Convert.ToInt32(m.Groups[1].Value, 16);
        }
        foreach (AddedToken t in _addedTokens)
        {
            if (t.Id >= spSize && _tokens[t.Id] is string other && other != t.Content)
                throw new LVPruneException($"{modelDir}: added tokens '{other}' and '{t.Content}' share id {t.Id}");
            _tokens[t.Id] = t.Content;
            _byteValue[t.Id] = -1;
            _special[t.Id] = t.Special || specialStrings.Contains(t.Content);
        }

        BosId = IdOrDefault(config.BosToken, sentencePiece.BeginningOfSentenceId);
        EosId = IdOrDefault(config.EosToken, sentencePiece.EndOfSentenceId);
        int unkId = IdOrDefault(config.UnkToken, sentencePiece.UnknownId);
        PadId = config.PadToken is null ? null : TokenToId(config.PadToken);
        foreach (int id in new[] { BosId, EosId, unkId, PadId ?? -1 }) if (id >= 0 && id < VocabSize) _special[id] = true;

        _imageToken = config.ImageToken;
        _imageTokenId = TokenToId(_imageToken);
        PrefixMode = prefixMode ?? config.TokenizerJsonMode
            ?? (!sentencePiece.AddDummyPrefix || config.AddPrefixSpace == false ? DummyPrefixMode.None
                : config.Legacy == false ? DummyPrefixMode.FirstSegment : DummyPrefixMode.EverySegment);
    }

    /// <summary>The folder the tokenizer was loaded from.</summary>
    public string ModelDirectory { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int? PadId { get; }

    /// <summary>Number of token ids: SentencePiece pieces plus added tokens (Hugging Face's
    /// len(tokenizer), 32002 for llava-1.5-7b-hf; the model's embedding may be larger).</summary>
    public int VocabSize { get; }

    /// <summary>Where the dummy-prefix space goes (see <see cref="DummyPrefixMode"/>).</summary>
    public DummyPrefixMode PrefixMode { get; }

    /// <summary>The id of the image placeholder token (tokenizer_config.json "image_token", default &lt;image&gt;).</summary>
    public int ImageTokenId => _imageTokenId
        ?? throw new LVPruneException($"{ModelDirectory}: the tokenizer has no {_imageToken} token (expected in added_tokens.json or tokenizer_config.json added_tokens_decoder)");

    /// <summary>
    /// Loads tokenizer.model and the Hugging Face JSON files next to it.
    /// </summary>
    /// <param name="prefixMode">Forces the dummy-prefix placement instead of reading it from the folder.</param>
    public static LlavaTokenizer Load(string modelDir, DummyPrefixMode? prefixMode = null)
    {
        string modelPath = Path.Combine(modelDir, "tokenizer.model");
        if (!File.Exists(modelPath)) throw new LVPruneException($"tokenizer file not found: {modelPath}");
        LlamaTokenizer sentencePiece;
        try
        {
            using FileStream stream = File.OpenRead(modelPath);
            sentencePiece = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not LVPruneException and not OutOfMemoryException)
        {
            throw new LVPruneException($"{modelPath}: not a SentencePiece BPE model ({e.Message})", e);
        }
        return new LlavaTokenizer(modelDir, sentencePiece, TokenizerFolderConfig.Read(modelDir), prefixMode);
    }

    /// <summary>The id of a piece or added token, or null when the vocabulary lacks it.</summary>
    public int? TokenToId(string token) =>
        _addedIds.TryGetValue(token, out int id) ? id
        : _sentencePiece.Vocabulary.TryGetValue(token, out id) ? id
        : null;

    /// <summary>The piece (with U+2581 for spaces) or added-token text of an id.</summary>
    public string IdToToken(int id) => Token(id);

    /// <summary>Encodes <paramref name="text"/> with Hugging Face semantics (see the class remarks).</summary>
    public int[] Encode(string text, bool addBos = true)
    {
        var ids = new List<int>();
        if (addBos) ids.Add(BosId);
        foreach (AddedTokenSplitter.Part part in AddedTokenSplitter.Split(text, _addedTokens))
        {
            if (part.Token is not null)
            {
                ids.Add(part.Token.Id);
                continue;
            }
            string normalized = SentencePieceText.Normalize(part.Text, part.Start == 0, PrefixMode);
            ids.AddRange(_sentencePiece.EncodeToIds(normalized, addBeginningOfSentence: false, addEndOfSentence: false,
                considerPreTokenization: false, considerNormalization: false));
        }
        return ids.ToArray();
    }

    /// <summary>
    /// Decodes like Hugging Face's Llama fast tokenizer: special tokens are dropped (when asked),
    /// U+2581 becomes a space, runs of byte pieces are joined and read as UTF-8 (a run that is not
    /// valid UTF-8 gives one U+FFFD per byte), and one leading space is removed.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            string token = Token(id);
            if (skipSpecialTokens && _special[id]) continue;
            if (_byteValue[id] >= 0)
            {
                bytes.Add((byte)_byteValue[id]);
                continue;
            }
            FlushBytes(text, bytes);
            text.Append(token.Replace(SentencePieceModelWriter.SpaceSymbol, ' '));
        }
        FlushBytes(text, bytes);
        if (text.Length > 0 && text[0] == ' ') text.Remove(0, 1);
        return text.ToString();
    }

    /// <summary>A decoder that turns generated ids into text one id at a time.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    /// <summary>Whether Decode(skipSpecialTokens: true) drops this id.</summary>
    public bool IsSpecial(int id) => Token(id) is not null && _special[id];

    /// <summary>The byte a byte-fallback piece (&lt;0xNN&gt;) stands for, or -1.</summary>
    internal int ByteValue(int id) => _byteValue[id];

    internal string Token(int id)
    {
        if ((uint)id >= (uint)VocabSize || _tokens[id] is null)
            throw new LVPruneException($"token id {id} is not in the vocabulary of {ModelDirectory} (size {VocabSize})");
        return _tokens[id]!;
    }

    private int IdOrDefault(string? token, int fallback) => token is not null && TokenToId(token) is int id ? id : fallback;

    private static void FlushBytes(StringBuilder text, List<byte> bytes)
    {
        if (bytes.Count == 0) return;
        try
        {
            text.Append(StrictUtf8.GetString(bytes.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            text.Append('\uFFFD', bytes.Count);
        }
        bytes.Clear();
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [GeneratedRegex("^<0x([0-9A-Fa-f]{2})>$")]
    private static partial Regex BytePieceRegex();
}
