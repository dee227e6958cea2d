using LVPrune.Text;

namespace LVPrune.Tests.Text;

public sealed class SentencePieceModelWriterTests(TokenizerFolderFixture folder) : IClassFixture<TokenizerFolderFixture>
{
    [Fact]
    public void WireFormatMatchesHandEncoding()
    {
        byte[] model = SentencePieceModelWriter.Serialize(SentencePieceModelWriter.LlamaLayout(["x", "y"]));

        // pieces[0] = {piece "<unk>", score 0f, type UNKNOWN=2}: field 1 (len 14) holding 1:"<unk>", 2:fixed32 0, 3:varint 2.
        byte[] unk = [0x0A, 0x0E, 0x0A, 0x05, (byte)'<', (byte)'u', (byte)'n', (byte)'k', (byte)'>', 0x15, 0, 0, 0, 0, 0x18, 0x02];
        Assert.Equal(unk, model[..unk.Length]);
        // "y" is the second vocabulary entry: score -1f = 0xBF800000 little-endian, type NORMAL=1.
        byte[] y = [0x0A, 0x0A, 0x0A, 0x01, (byte)'y', 0x15, 0x00, 0x00, 0x80, 0xBF, 0x18, 0x01];
        Assert.True(IndexOf(model, y) > 0);
        // normalizer_spec (field 3, len 16): name "identity", add_dummy_prefix 1, remove_extra_whitespaces 0, escape_whitespaces 1.
        byte[] normalizer = [0x1A, 0x10, 0x0A, 0x08, .. "identity"u8, 0x18, 0x01, 0x20, 0x00, 0x28, 0x01];
        Assert.Equal(normalizer, model[^normalizer.Length..]);
        // trainer_spec carries model_type BPE (field 3 = 2) and byte_fallback (field 35 = 1: tag 0x98 0x02).
        // then vocab_size 261 (varint 0x85 0x02), treat_whitespace_as_suffix (field 24) 0.
        Assert.True(IndexOf(model, [0x18, 0x02, 0x20, 0x85, 0x02, 0xC0, 0x01, 0x00, 0x98, 0x02, 0x01]) > 0);
    }

    [Fact]
    public void LlamaLayoutPutsSpecialsAndBytesFirst()
    {
        IReadOnlyList<VocabularyPiece> pieces = SentencePieceModelWriter.LlamaLayout(["▁the", "▁cat"]);
        Assert.Equal(261, pieces.Count);
        Assert.Equal(new VocabularyPiece("<unk>", 0, PieceType.Unknown), pieces[0]);
        Assert.Equal(new VocabularyPiece("</s>", 0, PieceType.Control), pieces[2]);
        Assert.Equal(new VocabularyPiece("<0x00>", 0, PieceType.Byte), pieces[3]);
        Assert.Equal(new VocabularyPiece("<0xFF>", 0, PieceType.Byte), pieces[258]);
        Assert.Equal(new VocabularyPiece("▁cat", -1, PieceType.Normal), pieces[260]);
        var e = Assert.Throws<LVPruneException>(() => SentencePieceModelWriter.LlamaLayout(["▁a", "▁a"]));
        Assert.Contains("'▁a'", e.Message);
        Assert.Throws<LVPruneException>(() => SentencePieceModelWriter.LlamaLayout(["<s>"]));
    }

    [Fact]
    public void WordLevelModelIsDeterministic()
    {
        string a = Path.Combine(folder.NewSubfolder(), "tokenizer.model");
        string b = Path.Combine(folder.NewSubfolder(), "tokenizer.model");
        SentencePieceModelWriter.WriteWordLevel(a, TokenizerFolderFixture.Corpus);
        SentencePieceModelWriter.WriteWordLevel(b, TokenizerFolderFixture.Corpus.Reverse().Concat(TokenizerFolderFixture.Corpus));
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(Path.Combine(folder.Directory, "tokenizer.model")));
    }

    [Fact]
    public void WordVocabularyHoldsEveryPrefixButNoControlCharacters()
    {
        IReadOnlyList<string> vocabulary = WordVocabulary.Build(["cat sat\n"]);
        // "▁cat", "▁sat" with their prefixes, the unprefixed run "cat" (for FirstSegment/None modes) and the characters.
        string[] expected = ["a", "c", "s", "t", "▁", "ca", "▁c", "▁s", "cat", "▁ca", "▁sa", "▁cat", "▁sat"];
        Assert.Equal(expected, vocabulary);
        Assert.Equal(["▁cat", "▁sat", "\n"], WordVocabulary.Words("cat sat\n"));
        // " " becomes "▁▁" (dummy prefix + space); "▁" before a control character or another "▁" stands alone.
        Assert.Equal(["▁", "▁", "<image>", "▁", "\n", "▁", "▁hi", "!"], WordVocabulary.Words(" <image>\n  hi!"));
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
