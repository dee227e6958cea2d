using LVPrune.Serving;
using LVPrune.Text;

namespace LVPrune.Tests.Serving;

/// <summary>Stop sequences cut the streamed text, and nothing past a stop is ever streamed, even when the stop
/// spans several tokens.</summary>
public class AnswerTextTests
{
    private static readonly Lazy<LlavaTokenizer> Tokenizer = new(() => LlavaTokenizer.Load(ToyServing.ModelDir));

    private static (List<string> Pieces, bool Stopped, string Tail) Stream(string text, params string[] stops)
    {
        var tok = Tokenizer.Value;
        var answer = new AnswerText(tok, stops);
        var pieces = new List<string>();
        foreach (int id in tok.Encode(text, addBos: false))
        {
            pieces.Add(answer.Push(id));
            if (answer.Stopped) break;
        }
        return (pieces, answer.Stopped, answer.Flush());
    }

    [Fact]
    public void WithoutStops_TheStreamIsTheDecodedText()
    {
        var (pieces, stopped, rest) = Stream("bottom large red circle");
        Assert.False(stopped);
        Assert.Equal("bottom large red circle", string.Concat(pieces) + rest);
    }

    [Fact]
    public void AStopAcrossTokens_CutsBeforeIt_AndWhatMightStartOneIsHeldBack()
    {
        var (pieces, stopped, rest) = Stream("bottom large red circle", "red circ");
        Assert.True(stopped);
        Assert.Equal("bottom large ", string.Concat(pieces));
        Assert.Equal("", rest);
        Assert.DoesNotContain(pieces, p => p.Contains("red"));
    }

    [Fact]
    public void AHeldBackPrefix_IsReleasedWhenItDoesNotBecomeAStop()
    {
        var (pieces, stopped, rest) = Stream("bottom large red circle", "large blue");
        Assert.False(stopped);
        Assert.Equal("bottom large red circle", string.Concat(pieces) + rest);
        Assert.Equal("bottom", pieces[0]);
        Assert.Equal(" ", pieces[1]); // "large" might begin "large blue": held back
    }
}
