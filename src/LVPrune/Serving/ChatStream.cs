using System.Text;
using System.Threading.Channels;

namespace LVPrune.Serving;

/// <summary>
/// The events of one submitted request, read once: <see cref="ChatStarted"/> after prefill, <see cref="ChatDelta"/>
/// text, then <see cref="ChatFinished"/>. A failed request ends the stream with its exception (a
/// <see cref="RequestException"/> for bad input, <see cref="OperationCanceledException"/> when cancelled).
/// </summary>
public sealed class ChatStream
{
    private readonly ChannelReader<ChatEvent> _events;

    internal ChatStream(ChannelReader<ChatEvent> events, ChatRequest request)
    {
        _events = events;
        Request = request;
    }

    public ChatRequest Request { get; }

    public IAsyncEnumerable<ChatEvent> ReadAllAsync(CancellationToken cancellation = default) => _events.ReadAllAsync(cancellation);

    /// <summary>Waits for the whole answer: its text and final statistics.</summary>
    public async Task<(string Text, ChatStats Stats)> CompleteAsync(CancellationToken cancellation = default)
    {
        var text = new StringBuilder();
        await foreach (var e in ReadAllAsync(cancellation))
        {
            if (e is ChatDelta d) text.Append(d.Text);
            else if (e is ChatFinished f) return (text.ToString(), f.Stats);
        }
        throw new InvalidOperationException("the answer ended without finishing");
    }
}
