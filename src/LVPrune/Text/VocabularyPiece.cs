namespace LVPrune.Text;

/// <summary>The kind of a SentencePiece vocabulary entry (values of sentencepiece_model.proto's
/// <c>ModelProto.SentencePiece.Type</c>).</summary>
public enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One entry of a SentencePiece model: its text (with U+2581 for a space), its BPE merge
/// score (higher merges first) and its kind.</summary>
public sealed record VocabularyPiece(string Piece, float Score, PieceType Type = PieceType.Normal);
