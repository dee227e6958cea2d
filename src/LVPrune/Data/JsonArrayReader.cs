using System.Text.Json;

namespace LVPrune.Data;

/// <summary>
/// Reads the elements of a top-level JSON array one at a time from a stream, holding only the
/// current element (plus a buffer) in memory, so a file of any size can be walked. Syntax errors
/// surface as <see cref="JsonException"/> with the line number counted from the file's start.
/// </summary>
internal sealed class JsonArrayReader
{
    private const int InitialBufferSize = 64 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _start, _end;
    private bool _final;
    private JsonReaderState _state;

    public JsonArrayReader(Stream stream) => _stream = stream;

    /// <summary>Reads the first token (after an optional UTF-8 byte order mark) and returns its type.</summary>
    public JsonTokenType Start()
    {
        while (_end - _start < 3 && !_final)
            Refill();
        if (_end - _start >= 3 && _buffer[_start] == 0xEF && _buffer[_start + 1] == 0xBB && _buffer[_start + 2] == 0xBF)
            _start += 3;
        while (true)
        {
            var reader = NewReader();
            if (reader.Read())
            {
                Commit(ref reader);
                return reader.TokenType;
            }
            if (_final)
                throw new JsonException("the file holds no JSON value", null, 0, 0);
            Refill();
        }
    }

    /// <summary>The next element of the array (the caller disposes it), or null after the closing bracket.</summary>
    public JsonDocument? Next()
    {
        while (true)
        {
            var reader = NewReader();
            if (!reader.Read())
            {
                if (_final)
                    throw new JsonException("the file ends inside the top-level array");
                Refill();
                continue;
            }
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                Commit(ref reader);
                return null;
            }
            var probe = reader;
            if (!probe.TrySkip())
            {
                if (_final)
                    throw new JsonException("the file ends inside an array element");
                Refill();   // the element is not all in the buffer yet: read it again from its start
                continue;
            }
            var element = JsonDocument.ParseValue(ref reader);
            Commit(ref reader);
            return element;
        }
    }

    /// <summary>Checks that only white space follows the array.</summary>
    public void Finish()
    {
        while (true)
        {
            var reader = NewReader();
            if (reader.Read())
                throw new JsonException("content after the top-level array");
            if (_final)
                return;
            Refill();
        }
    }

    private Utf8JsonReader NewReader() => new(_buffer.AsSpan(_start, _end - _start), _final, _state);

    private void Commit(ref Utf8JsonReader reader)
    {
        _start += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    /// <summary>Moves the unread bytes to the front (growing the buffer when they fill it) and reads more.</summary>
    private void Refill()
    {
        int remaining = _end - _start;
        if (_start == 0 && remaining == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        else if (_start > 0)
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, remaining);
        _start = 0;
        _end = remaining;
        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
            _final = true;
        _end += read;
    }
}
