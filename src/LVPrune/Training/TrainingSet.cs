using LVPrune.Checkpoints;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Text;
using LVPrune.Data;
using static TorchSharp.torch;

namespace LVPrune.Training;

/// <summary>
/// A LLaVA conversation file tokenised for training (text-only samples are left out, as LVPruning
/// trains on the image samples of the LLaVA-1.5 mix). Images are decoded and preprocessed by the
/// runtime's own code when a batch is built.
/// </summary>
public sealed class TrainingSet
{
    private readonly ImageProcessorConfig _images;
    private readonly ResizeMode _mode;
    private readonly LlavaConfig _config;
    private readonly int _padId;

    public IReadOnlyList<EncodedSample> Samples { get; }
    public int SkippedTextOnly { get; }
    public string Source { get; }

    private TrainingSet(IReadOnlyList<EncodedSample> samples, int skipped, string source, ImageProcessorConfig images, ResizeMode mode, LlavaConfig config, int padId)
    {
        Samples = samples; SkippedTextOnly = skipped; Source = source; _images = images; _mode = mode; _config = config; _padId = padId;
    }

    public static TrainingSet Load(string jsonPath, string modelDir, LlavaConfig config, LlavaTokenizer tokenizer, PromptConfig prompt,
                                   ResizeMode mode, int maxLength, int? limit = null)
    {
        if (limit < 1) throw new LVPruneException($"--limit must be at least 1, got {limit}");
        var samples = ConversationDataset.Load(jsonPath, requireImages: true);
        var encoder = new SampleEncoder(tokenizer, prompt.TemplateKind, maxLength, prompt.ImagePosition);
        var encoded = new List<EncodedSample>();
        int skipped = 0;
        foreach (var s in samples)
        {
            if (s.Image is null) { skipped++; continue; }
            encoded.Add(encoder.Encode(s, ConversationDataset.ResolveImagePath(jsonPath, s), jsonPath));
            if (limit is { } l && encoded.Count >= l) break;
        }
        if (encoded.Count == 0) throw new LVPruneException($"{jsonPath}: no samples with images to train on");
        var images = ImageProcessorConfig.Load(modelDir, config.VisionConfig.ImageSize);
        int pad = config.PadTokenId ?? tokenizer.PadId ?? tokenizer.EosId;
        return new TrainingSet(encoded, skipped, jsonPath, images, mode, config, pad);
    }

    public int Count => Samples.Count;

    /// <summary>Pixels, ids and labels of the given samples as one left-padded batch.</summary>
    public LlavaBatch Batch(IReadOnlyList<int> indices)
    {
        var chosen = indices.Select(i => Samples[i]).ToList();
        var pixels = ClipPreprocessor.PreprocessBatch(chosen.Select(s => ImageIO.Load(s.ImagePath!)).ToList(), _images, _mode);
        return LlavaBatch.FromTokens(chosen.Select(s => (IReadOnlyList<long>)s.Ids).ToList(), pixels, _config.ImageTokenIndex,
                                     _config.ImageTokens, _padId, chosen.Select(s => (IReadOnlyList<long>)s.Labels).ToList());
    }
}
