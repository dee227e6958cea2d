using System.Buffers.Binary;
using System.Text;

namespace LVPrune.Text;

/// <summary>
/// Writes SentencePiece <c>tokenizer.model</c> files (a protobuf <c>ModelProto</c>, see
/// google/sentencepiece src/sentencepiece_model.proto) in the form LLaMA uses: a BPE model with
/// byte fallback, no text normalisation ("identity"), a dummy-prefix space and no whitespace
/// squeezing. The protobuf is encoded by hand: it is a handful of varint, float and
/// length-delimited fields, so there is no need for generated code.
/// </summary>
public static class SentencePieceModelWriter
{
    /// <summary>The character SentencePiece writes for a space (U+2581, "LOWER ONE EIGHTH BLOCK").</summary>
    public const char SpaceSymbol = '\u2581';

    public const string UnknownPiece = "<unk>";
    public const string BosPiece = "<s>";
    public const string EosPiece = "</s>";

    /// <summary>LLaMA layout: 0 &lt;unk&gt;, 1 &lt;s&gt;, 2 &lt;/s&gt;, 3..258 the bytes &lt;0x00&gt;..&lt;0xFF&gt;, then the vocabulary.</summary>
    public const int FirstByteId = 3;
    public const int FirstVocabularyId = FirstByteId + 256;

    /// <summary>The text of the byte-fallback piece for <paramref name="value"/>, e.g. "&lt;0x0A&gt;".</summary>
    public static string BytePiece(int value) => $"<0x{value:X2}>";

    /// <summary>
    /// The pieces of a LLaMA-layout model: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte pieces (all
    /// with score 0, as in LLaMA's file), then <paramref name="vocabulary"/> in the given order with
    /// scores 0, -1, -2, ... so that earlier entries win BPE merges.
    /// </summary>
    public static IReadOnlyList<VocabularyPiece> LlamaLayout(IEnumerable<string> vocabulary)
    {
        var pieces = new List<VocabularyPiece>
        {
            new(UnknownPiece, 0, PieceType.Unknown),
            new(BosPiece, 0, PieceType.Control),
            new(EosPiece, 0, PieceType.Control),
        };
        for (int b = 0; b < 256; b++) pieces.Add(new VocabularyPiece(BytePiece(b), 0, PieceType.Byte));
        int rank = 0;
        foreach (string piece in vocabulary) pieces.Add(new VocabularyPiece(piece, -rank++, PieceType.Normal));
        Validate(pieces);
        return pieces;
    }

    /// <summary>Writes <paramref name="pieces"/> (id = position) as a tokenizer.model file, atomically.</summary>
    public static void Write(string path, IReadOnlyList<VocabularyPiece> pieces) =>
        AtomicFile.WriteAllBytes(path, Serialize(pieces));

    /// <summary>
    /// Builds a word-level vocabulary from <paramref name="corpus"/> (see <see cref="WordVocabulary"/>),
    /// writes it in the LLaMA layout to <paramref name="path"/> and returns the pieces written.
    /// </summary>
    public static IReadOnlyList<VocabularyPiece> WriteWordLevel(
        string path, IEnumerable<string> corpus, IEnumerable<string>? addedTokens = null)
    {
        IReadOnlyList<VocabularyPiece> pieces = LlamaLayout(WordVocabulary.Build(corpus, addedTokens));
        Write(path, pieces);
        return pieces;
    }

    /// <summary>The protobuf bytes of a ModelProto holding <paramref name="pieces"/>.</summary>
    public static byte[] Serialize(IReadOnlyList<VocabularyPiece> pieces)
    {
        Validate(pieces);
        var model = new ProtoBuffer();
        foreach (VocabularyPiece piece in pieces)
        {
            var entry = new ProtoBuffer();
            entry.String(1, piece.Piece);   // piece
            entry.Float(2, piece.Score);    // score
            entry.Int32(3, (int)piece.Type); // type
            model.Message(1, entry);        // ModelProto.pieces
        }

        int IdOf(string text) => FindIndex(pieces, p => p.Piece == text && p.Type != PieceType.Normal);
        var trainer = new ProtoBuffer();
        trainer.Int32(3, 2);                                   // model_type = BPE
        trainer.Int32(4, pieces.Count);                        // vocab_size
        trainer.Bool(24, false);                               // treat_whitespace_as_suffix
        trainer.Bool(35, pieces.Any(p => p.Type == PieceType.Byte)); // byte_fallback
        trainer.Int32(40, FindIndex(pieces, p => p.Type == PieceType.Unknown)); // unk_id
        trainer.Int32(41, IdOf(BosPiece));                     // bos_id (-1 when absent)
        trainer.Int32(42, IdOf(EosPiece));                     // eos_id
        trainer.Int32(43, IdOf("<pad>"));                      // pad_id
        trainer.String(45, pieces[FindIndex(pieces, p => p.Type == PieceType.Unknown)].Piece); // unk_piece
        trainer.String(46, BosPiece);                          // bos_piece
        trainer.String(47, EosPiece);                          // eos_piece
        trainer.String(48, "<pad>");                           // pad_piece
        model.Message(2, trainer);                             // ModelProto.trainer_spec

        var normalizer = new ProtoBuffer();
        normalizer.String(1, "identity");                      // name: no Unicode normalisation
        normalizer.Bool(3, true);                              // add_dummy_prefix
        normalizer.Bool(4, false);                             // remove_extra_whitespaces
        normalizer.Bool(5, true);                              // escape_whitespaces (' ' -> U+2581)
        model.Message(3, normalizer);                          // ModelProto.normalizer_spec
        return model.ToArray();
    }

    private static void Validate(IReadOnlyList<VocabularyPiece> pieces)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int unknown = 0, bytes = 0;
        for (int id = 0; id < pieces.Count; id++)
        {
            VocabularyPiece p = pieces[id];
            if (string.IsNullOrEmpty(p.Piece)) throw new LVPruneException($"SentencePiece vocabulary: piece {id} is empty");
            if (!seen.Add(p.Piece)) throw new LVPruneException($"SentencePiece vocabulary: piece '{p.Piece}' (id {id}) appears twice");
            if (p.Type == PieceType.Unknown) unknown++;
            if (p.Type == PieceType.Byte)
            {
                if (p.Piece != BytePiece(bytes)) throw new LVPruneException($"SentencePiece vocabulary: byte piece {id} is '{p.Piece}', expected '{BytePiece(bytes)}'");
                bytes++;
            }
        }
        if (unknown != 1) throw new LVPruneException($"SentencePiece vocabulary: needs exactly one unknown piece, found {unknown}");
        if (bytes is not (0 or 256)) throw new LVPruneException($"SentencePiece vocabulary: has {bytes} byte pieces, expected 0 or 256");
    }

    private static int FindIndex(IReadOnlyList<VocabularyPiece> pieces, Func<VocabularyPiece, bool> match)
    {
        for (int i = 0; i < pieces.Count; i++) if (match(pieces[i])) return i;
        return -1;
    }

    /// <summary>A minimal protobuf encoder: only the wire types a ModelProto needs.</summary>
    private sealed class ProtoBuffer
    {
        private readonly MemoryStream _stream = new();

        public byte[] ToArray() => _stream.ToArray();

        public void Int32(int field, int value)
        {
            Tag(field, 0);
            Varint(unchecked((ulong)(long)value)); // negative int32 is sign-extended to 10 bytes
        }

        public void Bool(int field, bool value)
        {
            Tag(field, 0);
            Varint(value ? 1UL : 0UL);
        }

        public void Float(int field, float value)
        {
            Tag(field, 5);
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            _stream.Write(bytes);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoBuffer message) => Bytes(field, message.ToArray());

        private void Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            Varint((ulong)value.Length);
            _stream.Write(value);
        }

        private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _stream.WriteByte((byte)value);
        }
    }
}
