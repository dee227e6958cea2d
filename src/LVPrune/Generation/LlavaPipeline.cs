using LVPrune.Checkpoints;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Text;
using static TorchSharp.torch;

namespace LVPrune.Generation;

/// <summary>One answer: text, tokens, what each pruning stage kept, and timings.</summary>
/// <param name="PrefillSeconds">time to first token, the vision tower included</param>
/// <param name="DecodeSeconds">all decode steps of the batch after the first token</param>
/// <param name="DecodeSteps">decode forward passes the batch ran (the first token comes from prefill)</param>
public sealed record Answer(
    string Text, int[] Tokens, int PromptTokens,
    IReadOnlyList<(int AfterLayer, int[] KeptImageTokens)> Stages,
    double VisionSeconds, double PrefillSeconds, double DecodeSeconds, int DecodeSteps)
{
    /// <summary>Milliseconds per decode step (per token after the first); null when nothing was decoded.</summary>
    public double? DecodeMsPerToken => DecodeSteps == 0 ? null : 1000 * DecodeSeconds / DecodeSteps;
}

/// <summary>
/// A loaded model with its tokenizer, image preprocessing and prompt template: images and
/// questions in, answers out. The library entry point behind `generate`, `eval` and `demo`.
/// </summary>
public sealed class LlavaPipeline : IDisposable
{
    public LlavaForConditionalGeneration Model { get; }
    public LlavaTokenizer Tokenizer { get; }
    public ImageProcessorConfig ImageConfig { get; }
    public ResizeMode ImageMode { get; init; } = ResizeMode.PadToSquare;
    /// <summary>From the model's prompt_config.json (llava-hf when absent); settable to override.</summary>
    public PromptTemplate Template { get; set; }
    /// <summary>From the model's prompt_config.json (image first when absent).</summary>
    public ImagePosition ImagePosition { get; init; }

    public LlavaPipeline(LlavaForConditionalGeneration model, string modelDir)
    {
        Model = model;
        Tokenizer = LlavaTokenizer.Load(modelDir);
        var prompt = PromptConfig.Load(modelDir);
        Template = prompt.TemplateKind;
        ImagePosition = prompt.ImagePosition;
        ImageConfig = ImageProcessorConfig.Load(modelDir, model.Config.VisionConfig.ImageSize);
        if (Tokenizer.ImageTokenId != model.Config.ImageTokenIndex)
            throw new LVPruneException($"{modelDir}: tokenizer's <image> id {Tokenizer.ImageTokenId} differs from config image_token_index {model.Config.ImageTokenIndex}");
    }

    /// <summary>The full prompt for a question under the template, the image placed as the model was trained.</summary>
    public string PromptFor(string question) => Prompts.Format(Template, PromptConfig.PlaceImage(question, ImagePosition));

    public Tensor Pixels(IReadOnlyList<RgbImage> images) => ClipPreprocessor.PreprocessBatch(images, ImageConfig, ImageMode);

    /// <summary>Answers a batch of (image, full prompt) pairs; <paramref name="onText"/> streams row 0's text as it comes.</summary>
    public IReadOnlyList<Answer> Generate(IReadOnlyList<RgbImage> images, IReadOnlyList<string> prompts, GenerationOptions options,
                                          ITokenSelector? selector = null, Action<string>? onText = null)
    {
        if (images.Count != prompts.Count) throw new ArgumentException("one image per prompt");
        foreach (var p in prompts) Prompts.RequireImageToken(p);
        using var scope = NewDisposeScope();
        var ids = prompts.Select(p => (IReadOnlyList<long>)Tokenizer.Encode(p).Select(t => (long)t).ToArray()).ToList();
        var streamer = onText is null ? null : Tokenizer.CreateStreamingDecoder();
        using var batch = LlavaBatch.FromTokens(ids, Pixels(images), Model.Config.ImageTokenIndex, Model.Config.ImageTokens,
                                                Model.Config.PadTokenId ?? Tokenizer.PadId ?? Tokenizer.EosId);
        var result = LlavaGenerator.Generate(Model, batch, options, Tokenizer.EosId, selector, (row, token) =>
        {
            if (row == 0 && streamer is not null && token < Tokenizer.VocabSize) onText!(streamer.Push(token));
        });
        if (streamer is not null) onText!(streamer.Flush());
        var answers = new List<Answer>();
        for (int b = 0; b < prompts.Count; b++)
        {
            var stages = result.Stages.Select(s => (s.AfterLayer, s.KeptImageTokens[b].Select(i => (int)i).ToArray())).ToList();
            var tokens = result.Tokens[b].Where(t => t < Tokenizer.VocabSize).ToArray();
            answers.Add(new Answer(Tokenizer.Decode(tokens).Trim(), result.Tokens[b], ids[b].Count, stages,
                                   result.VisionSeconds, result.PrefillSeconds, result.DecodeSeconds, result.DecodedSteps));
        }
        return answers;
    }


    public void Dispose() => Model.Dispose();
}
