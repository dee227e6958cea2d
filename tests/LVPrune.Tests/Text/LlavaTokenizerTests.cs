using LVPrune.Text;

namespace LVPrune.Tests.Text;

public sealed class LlavaTokenizerTests(TokenizerFolderFixture folder) : IClassFixture<TokenizerFolderFixture>
{
    private const string Prompt = "USER: <image>\nWhat is shown? ASSISTANT:";
    private const int FirstByte = SentencePieceModelWriter.FirstByteId;

    private LlavaTokenizer Tok => folder.Tokenizer;

    private int Id(string piece) => Tok.TokenToId(piece) ?? throw new Xunit.Sdk.XunitException($"'{piece}' not in vocabulary");

    [Fact]
    public void HandBuiltVocabularyMergesByScore()
    {
        // ids 259.. in this order; scores 0, -1, -2, ...: "bc" (-4) outranks "▁a" (-5) and "ab" (-6).
        string dir = folder.NewSubfolder();
        SentencePieceModelWriter.Write(Path.Combine(dir, "tokenizer.model"),
            SentencePieceModelWriter.LlamaLayout(["▁", "b", "c", "a", "bc", "▁a", "ab", "▁ab"]));
        var tok = LlavaTokenizer.Load(dir);

        // "▁abc": merge bc -> [▁, a, bc]; then ▁a -> [▁a, bc]; "▁abc" is not a piece: stop.
        Assert.Equal([1, 264, 263], tok.Encode("abc"));
        // "▁ab": ▁a (-5) before ab (-6) -> [▁a, b] -> ▁ab (259+7).
        Assert.Equal([266], tok.Encode("ab", addBos: false));
        Assert.Equal([1, 2], [tok.BosId, tok.EosId]);
        Assert.Null(tok.PadId);
        Assert.Equal(259 + 8, tok.VocabSize);
        Assert.Equal("abc ab", tok.Decode(tok.Encode("abc ab")));
    }

    [Fact]
    public void LlavaPromptMatchesHuggingFaceLegacyLayout()
    {
        // llava-1.5-7b-hf gives <s> ▁US ER : ▁ <image> ▁ <0x0A> What ▁is ▁shown ? ▁A SS IST ANT :
        // Here each word is one piece, but the structure around <image> is the same.
        string[] expected = ["<s>", "▁USER", ":", "▁", "<image>", "▁", "<0x0A>", "What", "▁is", "▁shown", "?", "▁ASSISTANT", ":"];
        Assert.Equal(DummyPrefixMode.EverySegment, Tok.PrefixMode);
        Assert.Equal(expected.Select(Id), Tok.Encode(Prompt));
        Assert.Equal(FirstByte + 0x0A, Id("<0x0A>"));
        Assert.Equal(expected, Tok.Encode(Prompt).Select(Tok.IdToToken));
    }

    [Fact]
    public void FirstSegmentModeDropsThePrefixAfterImage()
    {
        var tok = LlavaTokenizer.Load(folder.Directory, DummyPrefixMode.FirstSegment);
        string[] expected = ["<s>", "▁USER", ":", "▁", "<image>", "<0x0A>", "What", "▁is", "▁shown", "?", "▁ASSISTANT", ":"];
        Assert.Equal(expected.Select(Id), tok.Encode(Prompt));
        // Text starting with an added token gets no prefix in either mode.
        Assert.Equal([Tok.ImageTokenId, FirstByte + 0x0A, Id("What")], tok.Encode("<image>\nWhat", addBos: false));
        Assert.Equal([Tok.ImageTokenId, Id("▁"), FirstByte + 0x0A, Id("What")], Tok.Encode("<image>\nWhat", addBos: false));
    }

    [Fact]
    public void SpecialIdsComeFromTheJsonFiles()
    {
        int n = folder.Pieces.Count;
        Assert.Equal(n, Tok.ImageTokenId);
        Assert.Equal(n + 1, Tok.PadId);
        Assert.Equal(n + 2, Tok.VocabSize);
        Assert.Equal([1, 2], [Tok.BosId, Tok.EosId]);
        Assert.Equal(0, Tok.TokenToId("<unk>"));
        Assert.Null(Tok.TokenToId("nonexistent"));
        // Added tokens are cut out wherever they stand, also </s> and several <image>.
        Assert.Equal([Id("▁The"), 2, Tok.ImageTokenId, Tok.ImageTokenId], Tok.Encode("The</s><image><image>", addBos: false));
        Assert.Equal([1], Tok.Encode(""));
    }

    [Fact]
    public void DecodeRoundTripsAndSkipsSpecialTokens()
    {
        int[] ids = Tok.Encode(Prompt);
        // Hugging Face decodes llava-hf prompts as "USER:  \nWhat ...": the two ▁ around <image> stay.
        Assert.Equal("USER:  \nWhat is shown? ASSISTANT:", Tok.Decode(ids));
        Assert.Equal("<s> USER: <image> \nWhat is shown? ASSISTANT:", Tok.Decode(ids, skipSpecialTokens: false));
        string sentence = "The square is red.";
        Assert.Equal(sentence, Tok.Decode(Tok.Encode(sentence).Append(Tok.EosId)));
    }

    [Fact]
    public void UnknownCharactersFallBackToUtf8Bytes()
    {
        // "€" is U+20AC = E2 82 AC in UTF-8 and is not in the vocabulary.
        int[] ids = Tok.Encode("red €", addBos: false);
        Assert.Equal([Id("▁red"), Id("▁"), FirstByte + 0xE2, FirstByte + 0x82, FirstByte + 0xAC], ids);
        Assert.Equal("red €", Tok.Decode(ids));
        // An incomplete character becomes one U+FFFD per byte, as in Hugging Face.
        Assert.Equal("\uFFFD\uFFFDWhat", Tok.Decode([FirstByte + 0xE2, FirstByte + 0x82, Id("What")]));
    }

    [Fact]
    public void StreamingDecoderEmitsWholeCharactersAndMatchesDecode()
    {
        int[] ids = Tok.Encode("The square is €red €", addBos: false).Append(Tok.EosId).ToArray();
        StreamingDecoder stream = Tok.CreateStreamingDecoder();
        var pieces = ids.Select(stream.Push).ToList();
        pieces.Add(stream.Flush());
        Assert.Equal(Tok.Decode(ids), string.Concat(pieces));
        Assert.Equal("The square is €red €", string.Concat(pieces));
        Assert.Equal("The", pieces[0]); // leading space of the first token dropped
        int euro = Array.IndexOf(ids, FirstByte + 0xE2);
        Assert.Equal(["", "", "€"], pieces.Skip(euro).Take(3));
        Assert.Equal("", pieces[ids.Length - 1]); // </s> is skipped

        // A first token that is a lone "▁" loses it; the next token keeps its space.
        StreamingDecoder second = Tok.CreateStreamingDecoder();
        Assert.Equal(["", " red"], new[] { Id("▁"), Id("▁red") }.Select(second.Push));
        Assert.Equal(" red", Tok.Decode([Id("▁"), Id("▁red")]));
        // Held-back bytes come out at Flush.
        StreamingDecoder third = Tok.CreateStreamingDecoder();
        Assert.Equal("", third.Push(FirstByte + 0xE2));
        Assert.Equal("\uFFFD", third.Flush());
    }

    [Fact]
    public void EveryCorpusWordIsOneToken()
    {
        foreach (string sentence in TokenizerFolderFixture.Corpus)
        {
            IReadOnlyList<string> words = WordVocabulary.Words(sentence);
            string[] tokens = Tok.Encode(sentence, addBos: false).Select(Tok.IdToToken).ToArray();
            Assert.Equal(words.Select(w => w == "\n" ? "<0x0A>" : w), tokens);
            if (!sentence.Contains("<image>")) Assert.Equal(sentence, Tok.Decode(Tok.Encode(sentence)));
        }
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        string dir = folder.NewSubfolder();
        var e = Assert.Throws<LVPruneException>(() => LlavaTokenizer.Load(dir));
        Assert.Contains(Path.Combine(dir, "tokenizer.model"), e.Message);

        // A bare tokenizer.model: no <image>, no pad; bos/eos from the model.
        SentencePieceModelWriter.Write(Path.Combine(dir, "tokenizer.model"), SentencePieceModelWriter.LlamaLayout(["▁", "a"]));
        var tok = LlavaTokenizer.Load(dir);
        var missing = Assert.Throws<LVPruneException>(() => tok.ImageTokenId);
        Assert.Contains("<image>", missing.Message);
        Assert.Throws<LVPruneException>(() => tok.Decode([tok.VocabSize]));

        File.WriteAllText(Path.Combine(dir, "tokenizer.model"), "not a model");
        var bad = Assert.Throws<LVPruneException>(() => LlavaTokenizer.Load(dir));
        Assert.Contains("tokenizer.model", bad.Message);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{ broken");
        SentencePieceModelWriter.Write(Path.Combine(dir, "tokenizer.model"), SentencePieceModelWriter.LlamaLayout(["▁", "a"]));
        Assert.Contains("tokenizer_config.json", Assert.Throws<LVPruneException>(() => LlavaTokenizer.Load(dir)).Message);
    }

    [Theory]
    [InlineData("""{"normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace"}]}, "pre_tokenizer": null}""", DummyPrefixMode.EverySegment)]
    [InlineData("""{"normalizer": null, "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}}""", DummyPrefixMode.FirstSegment)]
    [InlineData("""{"normalizer": null, "pre_tokenizer": {"type": "Metaspace", "prepend_scheme": "never"}}""", DummyPrefixMode.None)]
    public void TokenizerJsonDecidesThePrefixMode(string tokenizerJson, DummyPrefixMode expected)
    {
        string dir = CopyOfFolder();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizerJson);
        Assert.Equal(expected, LlavaTokenizer.Load(dir).PrefixMode);
    }

    [Fact]
    public void StripFlagsOfAddedTokensSwallowWhitespace()
    {
        string dir = CopyOfFolder();
        string configPath = Path.Combine(dir, "tokenizer_config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!;
        config["added_tokens_decoder"]![Tok.ImageTokenId.ToString()]!["rstrip"] = true;
        config["added_tokens_decoder"]![Tok.ImageTokenId.ToString()]!["lstrip"] = true;
        File.WriteAllText(configPath, config.ToJsonString());
        var tok = LlavaTokenizer.Load(dir);
        // lstrip takes the space before <image>, rstrip the "\n" after it.
        Assert.Equal([Id("▁USER"), Id(":"), Tok.ImageTokenId, Id("▁What")], tok.Encode("USER: <image>\nWhat", addBos: false));
    }

    private string CopyOfFolder()
    {
        string dir = folder.NewSubfolder();
        foreach (string file in System.IO.Directory.GetFiles(folder.Directory)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        return dir;
    }

    [Fact]
    public void LegacyFalseWithoutTokenizerJsonMeansFirstSegment()
    {
        string dir = CopyOfFolder();
        string configPath = Path.Combine(dir, "tokenizer_config.json");
        string config = File.ReadAllText(configPath);
        Assert.Contains("\"legacy\": true", config);
        File.WriteAllText(configPath, config.Replace("\"legacy\": true", "\"legacy\": false"));
        Assert.Equal(DummyPrefixMode.FirstSegment, LlavaTokenizer.Load(dir).PrefixMode);
    }
}
