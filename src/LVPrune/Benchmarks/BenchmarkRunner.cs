using LVPrune.Flops;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Pruning;
using LVPrune.Py;
using LVPrune.Text;
using static TorchSharp.torch;

namespace LVPrune.Benchmarks;

/// <summary>
/// The model-facing glue of `eval --benchmark`: turns a batch of benchmark questions into prompts and
/// images the way LLaVA-1.5's scripts do, answers them greedily with the benchmark's max_new_tokens
/// through <see cref="LlavaPipeline.Generate"/> (a text-only ScienceQA batch goes to the generator
/// without pixels), and reports what each pruning stage kept. Everything else (files, shards, resume)
/// is model-free in <see cref="BenchmarkEvaluation"/>.
/// </summary>
public sealed class BenchmarkRunner
{
    private readonly LlavaPipeline _pipeline;
    private readonly ITokenSelector? _selector;
    private readonly BenchmarkPlan _plan;
    private readonly GenerationOptions _options;

    public BenchmarkRunner(LlavaPipeline pipeline, ITokenSelector? selector, BenchmarkPlan plan)
    {
        _pipeline = pipeline;
        _selector = selector;
        _plan = plan;
        _options = new GenerationOptions { MaxNewTokens = plan.Benchmark.MaxNewTokens }; // greedy, stop at EOS
    }

    /// <summary>
    /// LLaVA-1.5's evaluation prompt (conv_vicuna_v1 with its system line) unless the model folder's
    /// prompt_config.json or an explicit --template says otherwise.
    /// </summary>
    public static void UseEvaluationTemplate(LlavaPipeline pipeline, string modelDir, bool templateGiven)
    {
        if (!templateGiven && !File.Exists(Path.Combine(modelDir, PromptConfig.FileName))) pipeline.Template = PromptTemplate.LlavaV1;
    }

    /// <summary>The full prompt of a question: the conversation template around "&lt;image&gt;\n" + text (model_vqa*.py).</summary>
    public string PromptFor(BenchmarkQuestion q)
    {
        if (!q.HasImage)
        {
            // model_vqa_science.py asks text-only questions with no image token at all; Prompts.Format puts
            // "<image>\n" in front of a first turn without one, so that exact prefix is taken out again.
            string withImage = Prompts.Format(_pipeline.Template, Prompts.ImageToken + "\n" + q.Text);
            int at = withImage.IndexOf(Prompts.ImageToken + "\n", StringComparison.Ordinal);
            return withImage.Remove(at, Prompts.ImageToken.Length + 1);
        }
        string user = _pipeline.ImagePosition == ImagePosition.BeforeQuestion
            ? Prompts.ImageToken + "\n" + q.Text // not trimmed: LLaVA asks the text exactly as the file has it
            : PromptConfig.PlaceImage(q.Text, _pipeline.ImagePosition);
        return Prompts.Format(_pipeline.Template, user);
    }

    /// <summary>Answers a batch of questions that all have images, or all have none.</summary>
    public IReadOnlyList<ModelAnswer> Answer(IReadOnlyList<BenchmarkQuestion> batch)
    {
        var prompts = batch.Select(PromptFor).ToList();
        var answers = batch[0].HasImage
            ? _pipeline.Generate(batch.Select(LoadImage).ToList(), prompts, _options, _selector)
                       .Select(a => new ModelAnswer(PyStr.Strip(a.Text), a.Stages.Select(s => s.KeptImageTokens.Length).ToArray(), a.PrefillSeconds)).ToList()
            : AnswerTextOnly(prompts);
        NativeSafety.DrainFinalizers(); // between batches, when no native call is in flight
        return answers;
    }

    private IReadOnlyList<ModelAnswer> AnswerTextOnly(IReadOnlyList<string> prompts)
    {
        var model = _pipeline.Model;
        var tokenizer = _pipeline.Tokenizer;
        using var scope = NewDisposeScope();
        var ids = prompts.Select(p => (IReadOnlyList<long>)tokenizer.Encode(p).Select(t => (long)t).ToArray()).ToList();
        using var batch = LlavaBatch.FromTokens(ids, null, model.Config.ImageTokenIndex, model.Config.ImageTokens,
                                                model.Config.PadTokenId ?? tokenizer.PadId ?? tokenizer.EosId);
        var result = LlavaGenerator.Generate(model, batch, _options, tokenizer.EosId, selector: null); // no image tokens: nothing to prune
        return result.Tokens.Select(t => new ModelAnswer(PyStr.Strip(tokenizer.Decode(t.Where(x => x < tokenizer.VocabSize))), [], result.PrefillSeconds)).ToList();
    }

    private RgbImage LoadImage(BenchmarkQuestion q) =>
        q.Mmbench is { } row
            ? ImageIO.Decode(_plan.Mmbench!.ImageBytes(row), $"{_plan.QuestionsPath} line {row.Line}")
            : ImageIO.Load(_plan.ImagePath(q));

    /// <summary>
    /// The kept fractions the selector applies after each stage (FastV: its one share), read from the
    /// selector <see cref="SelectorFactory"/> built, so the answer files record what ran; null without pruning.
    /// </summary>
    public IReadOnlyList<double>? KeepRatios => _selector switch
    {
        null => null,
        LVPruningSelector s => s.Keep,
        RandomSelector s => s.Keep,
        FastVSelector s => [s.KeepShare],
        _ => throw new NotSupportedException($"keep ratios of {_selector.GetType().Name}"),
    };

    /// <summary>
    /// The analytic prefill TFLOPs of this configuration with 1 image and 30 text tokens, the paper's
    /// convention (FLOPs model, Flops/FlopsModel.cs; FastV at its one share).
    /// </summary>
    public double Tflops()
    {
        const int text = 30;
        var config = _pipeline.Model.Config;
        return _selector switch
        {
            null => FlopsModel.Compute(FlopsShape.From(config), text).TotalTflops,
            LVPruningSelector s => FlopsModel.Compute(FlopsShape.From(config, s.Layers, s.ModuleConfig), text, s.Keep).TotalTflops,
            RandomSelector s => FlopsModel.Compute(FlopsShape.From(config, s.Layers), text, s.Keep, decisionModules: false).TotalTflops,
            FastVSelector s => FastVBudget.Tflops(FlopsShape.From(config), text, s.K, s.KeepShare),
            _ => throw new NotSupportedException($"TFLOPs of {_selector.GetType().Name}"),
        };
    }
}
