using LVPrune.Checkpoints;
using LVPrune.Generation;
using LVPrune.Models;
using static TorchSharp.torch;

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

    /// <summary>Requests' prompts as one left-padded batch with their images [B, 3, S, S], in the caller's dispose scope.</summary>
    public static LlavaBatch Batch(IReadOnlyList<ChatRequest> requests, LlavaConfig config, int padId)
    {
        int size = config.VisionConfig.ImageSize, B = requests.Count;
        var pixelData = new float[B * 3 * size * size];
        for (int b = 0; b < B; b++)
        {
            var pixels = requests[b].Pixels;
            if (pixels.Length != 3 * size * size)
                throw new ArgumentException($"request {b}: pixels hold {pixels.Length} floats, the model takes 3 x {size} x {size}");
            pixels.CopyTo(pixelData, b * 3 * size * size);
        }
        return LlavaBatch.FromTokens(requests.Select(r => (IReadOnlyList<long>)r.PromptIds).ToList(), tensor(pixelData, [B, 3, size, size]),
                                     config.ImageTokenIndex, config.ImageTokens, padId);
    }
}
