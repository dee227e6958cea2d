using System.Buffers;
using System.Text;

namespace LVPrune.Text;

/// <summary>
/// Turns ids into text one id at a time, for printing an answer while it is generated. Each
/// <see cref="Push"/> returns only the new printable text: byte-fallback pieces are held until they
/// complete a UTF-8 character (&lt;0xE2&gt;&lt;0x82&gt;&lt;0xAC&gt; gives "€" on the third id), and the
/// leading space of the first token is dropped, as <see cref="LlavaTokenizer.Decode"/> does.
/// <para>
/// The concatenated output equals <see cref="LlavaTokenizer.Decode"/> of the same ids whenever
/// every run of byte pieces is valid UTF-8. For invalid bytes the stream writes U+FFFD per bad
/// byte and keeps the valid characters of the run, where Decode (like Hugging Face) turns the
/// whole run into U+FFFD.
/// </para>
/// </summary>
public sealed class StreamingDecoder
{
    private readonly LlavaTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<byte> _pending = [];
    private bool _atStart = true;

    internal StreamingDecoder(LlavaTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id and returns the text it completes (possibly empty).</summary>
    public string Push(int id)
    {
        string token = _tokenizer.Token(id);
        if (_skipSpecialTokens && _tokenizer.IsSpecial(id)) return "";
        var text = new StringBuilder();
        int b = _tokenizer.ByteValue(id);
        if (b >= 0)
        {
            _pending.Add((byte)b);
            DrainBytes(text, final: false);
        }
        else
        {
            DrainBytes(text, final: true);
            text.Append(token.Replace(SentencePieceModelWriter.SpaceSymbol, ' '));
        }
        return Emit(text);
    }

    /// <summary>Returns what is still held back (an unfinished UTF-8 character, as U+FFFD per byte).</summary>
    public string Flush()
    {
        var text = new StringBuilder();
        DrainBytes(text, final: true);
        return Emit(text);
    }

    private string Emit(StringBuilder text)
    {
        if (text.Length > 0 && _atStart)
        {
            _atStart = false;
            if (text[0] == ' ') text.Remove(0, 1);
        }
        return text.ToString();
    }

    /// <summary>Moves every complete character out of the pending bytes; with <paramref name="final"/>
    /// an unfinished tail becomes U+FFFD per byte.</summary>
    private void DrainBytes(StringBuilder text, bool final)
    {
        int used = 0;
        ReadOnlySpan<byte> bytes = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending);
        while (used < bytes.Length)
        {
            OperationStatus status = Rune.DecodeFromUtf8(bytes[used..], out Rune rune, out int consumed);
            if (status == OperationStatus.Done)
            {
                text.Append(rune.ToString());
            }
            else if (status == OperationStatus.NeedMoreData && !final)
            {
                break;
            }
            else
            {
                text.Append('\uFFFD', consumed);
            }
            used += consumed;
        }
        _pending.RemoveRange(0, used);
    }
}
