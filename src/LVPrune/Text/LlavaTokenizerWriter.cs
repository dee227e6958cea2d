using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LVPrune.Text;

/// <summary>
/// Writes a tokenizer folder in the llava-hf layout: <c>tokenizer.model</c> (SentencePiece, LLaMA
/// layout), <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c> and <c>added_tokens.json</c>.
/// &lt;image&gt; and &lt;pad&gt; are added after the SentencePiece vocabulary, as in
/// llava-1.5-7b-hf (ids 32000 and 32001 there).
/// </summary>
public static class LlavaTokenizerWriter
{
    public const string ImageToken = "<image>";
    public const string PadToken = "<pad>";

    /// <summary>The tokens cut out of the text before SentencePiece runs, in id order.</summary>
    public static readonly IReadOnlyList<string> AddedTokenContents =
        [SentencePieceModelWriter.UnknownPiece, SentencePieceModelWriter.BosPiece, SentencePieceModelWriter.EosPiece, ImageToken, PadToken];

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keep "<image>" readable
    };

    /// <summary>
    /// Builds a word-level vocabulary from <paramref name="corpus"/> (every corpus word is one
    /// token, see <see cref="WordVocabulary"/>) and writes the folder. Returns the SentencePiece
    /// pieces; &lt;image&gt; is id <c>pieces.Count</c> and &lt;pad&gt; is <c>pieces.Count + 1</c>.
    /// </summary>
    public static IReadOnlyList<VocabularyPiece> WriteFolder(string dir, IEnumerable<string> corpus)
    {
        IReadOnlyList<VocabularyPiece> pieces = SentencePieceModelWriter.LlamaLayout(WordVocabulary.Build(corpus));
        WriteFolder(dir, pieces);
        return pieces;
    }

    /// <summary>Writes the folder for the given SentencePiece pieces (id = position, LLaMA layout:
    /// &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2).</summary>
    public static void WriteFolder(string dir, IReadOnlyList<VocabularyPiece> pieces)
    {
        Directory.CreateDirectory(dir);
        int imageId = pieces.Count, padId = pieces.Count + 1;
        SentencePieceModelWriter.Write(Path.Combine(dir, "tokenizer.model"), pieces);

        var decoder = new JsonObject();
        int[] ids = [0, 1, 2, imageId, padId];
        for (int i = 0; i < ids.Length; i++) decoder[ids[i].ToString()] = AddedTokenJson(AddedTokenContents[i], withSpecial: true);

        var config = new JsonObject
        {
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = SentencePieceModelWriter.BosPiece,
            ["clean_up_tokenization_spaces"] = false,
            ["eos_token"] = SentencePieceModelWriter.EosPiece,
            ["image_token"] = ImageToken,
            // No tokenizer.json is written, so Hugging Face builds the fast tokenizer from this
            // file; legacy = true gives it the Prepend normaliser of llava-hf's own tokenizer.json
            // (a dummy prefix after <image> too), and LlavaTokenizer reads it the same way.
            ["legacy"] = true,
            ["model_max_length"] = 4096,
            ["pad_token"] = PadToken,
            ["padding_side"] = "left",
            ["processor_class"] = "LlavaProcessor",
            ["sp_model_kwargs"] = new JsonObject(),
            ["tokenizer_class"] = "LlamaTokenizer",
            ["unk_token"] = SentencePieceModelWriter.UnknownPiece,
        };
        WriteJson(Path.Combine(dir, "tokenizer_config.json"), config);

        var specialMap = new JsonObject
        {
            ["bos_token"] = AddedTokenJson(SentencePieceModelWriter.BosPiece, withSpecial: false),
            ["eos_token"] = AddedTokenJson(SentencePieceModelWriter.EosPiece, withSpecial: false),
            ["pad_token"] = PadToken,
            ["unk_token"] = AddedTokenJson(SentencePieceModelWriter.UnknownPiece, withSpecial: false),
        };
        WriteJson(Path.Combine(dir, "special_tokens_map.json"), specialMap);

        WriteJson(Path.Combine(dir, "added_tokens.json"), new JsonObject { [ImageToken] = imageId, [PadToken] = padId });
    }

    private static JsonObject AddedTokenJson(string content, bool withSpecial)
    {
        var token = new JsonObject
        {
            ["content"] = content,
            ["lstrip"] = false,
            ["normalized"] = false,
            ["rstrip"] = false,
            ["single_word"] = false,
        };
        if (withSpecial) token["special"] = true;
        return token;
    }

    private static void WriteJson(string path, JsonNode node) =>
        AtomicFile.WriteAllText(path, node.ToJsonString(JsonOptions) + "\n");
}
