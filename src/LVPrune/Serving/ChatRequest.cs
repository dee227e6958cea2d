using LVPrune.Generation;

namespace LVPrune.Serving;

/// <summary>
/// A conversation checked and made ready for the model by <see cref="ChatEngine.Prepare"/> on the caller's
/// thread: the full prompt and its ids, the preprocessed image, decoding options and stop sequences, and
/// the resolved pruning. Submit it once.
/// </summary>
public sealed class ChatRequest
{
    internal ChatRequest(string prompt, long[] promptIds, float[] pixels, GenerationOptions options, IReadOnlyList<string> stop,
                         ResolvedPruning pruning, int promptTokens)
    {
        Prompt = prompt;
        PromptIds = promptIds;
        Pixels = pixels;
        Options = options;
        Stop = stop;
        Pruning = pruning;
        PromptTokens = promptTokens;
    }

    /// <summary>The prompt as the template wrote it, with one &lt;image&gt; placeholder.</summary>
    public string Prompt { get; }
    /// <summary>Its ids, the image placeholder once.</summary>
    public long[] PromptIds { get; }
    /// <summary>The preprocessed image, channel-first float32 [3, S, S].</summary>
    public float[] Pixels { get; }
    public GenerationOptions Options { get; }
    public IReadOnlyList<string> Stop { get; }
    public ResolvedPruning Pruning { get; }
    /// <summary>Prompt tokens with the image's tokens counted (before pruning), as OpenAI's usage reports them.</summary>
    public int PromptTokens { get; }
}
