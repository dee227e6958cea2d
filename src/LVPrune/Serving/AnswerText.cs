using LVPrune.Text;

namespace LVPrune.Serving;

/// <summary>
/// An answer's text as its tokens arrive, cut at the first stop sequence. Text that could still turn
/// out to be the start of a stop sequence is held back until it cannot, so nothing past a stop is ever
/// streamed. Ids outside the tokenizer's vocabulary (the model's extra rows) give no text, as in
/// <see cref="Generation.LlavaPipeline.Generate"/>.
/// </summary>
public sealed class AnswerText
{
    private readonly StreamingDecoder _decoder;
    private readonly int _vocabSize;
    private readonly IReadOnlyList<string> _stops;
    private string _held = "";

    public AnswerText(LlavaTokenizer tokenizer, IReadOnlyList<string> stops)
    {
        _decoder = tokenizer.CreateStreamingDecoder();
        _vocabSize = tokenizer.VocabSize;
        _stops = stops;
    }

    /// <summary>Whether a stop sequence has ended the text.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds one generated id; returns the text now safe to show (possibly empty).</summary>
    public string Push(int id)
    {
        if (Stopped) return "";
        if (id < 0 || id >= _vocabSize) return "";
        return Release(_held + _decoder.Push(id), final: false);
    }

    /// <summary>The rest of the text once generation ended (without a stop).</summary>
    public string Flush() => Stopped ? "" : Release(_held + _decoder.Flush(), final: true);

    private string Release(string text, bool final)
    {
        int cut = -1;
        foreach (var stop in _stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _held = "";
            return text[..cut];
        }
        int hold = 0;
        if (!final)
            foreach (var stop in _stops)
                for (int k = Math.Min(stop.Length - 1, text.Length); k > hold; k--)
                    if (text.AsSpan(text.Length - k).SequenceEqual(stop.AsSpan(0, k))) { hold = k; break; }
        _held = text[^hold..];
        return text[..^hold];
    }
}
