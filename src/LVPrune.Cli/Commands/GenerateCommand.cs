using System.CommandLine;
using System.Text.Json;
using LVPrune.Flops;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Pruning;
using LVPrune.Text;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune generate`: answer a prompt about an image, streaming tokens as they come.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var pruning = new PruningOptions();
        var image = new Option<string>("--image") { Description = "image file (JPEG, PNG, WebP, ...)", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "the full prompt, with the <image> token, e.g. \"USER: <image>\\nWhat is shown? ASSISTANT:\"" };
        var question = new Option<string>("--question") { Description = "a question; the --template adds the image token and roles" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "generate at most N tokens", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "nucleus sampling threshold", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long>("--seed") { Description = "sampling seed", DefaultValueFactory = _ => 0 };
        var show = new Option<string>("--show-pruning") { Description = "write a PNG of the kept patches per stage" };
        var json = CommonOptions.Json();
        var cmd = new Command("generate", "Answer a prompt about an image.") { image, prompt, question, maxNew, temperature, topP, seed, show, json };
        models.AddTo(cmd);
        pruning.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var spec = pruning.Spec(r, models.Dir(r));
            var options = new GenerationOptions
            {
                MaxNewTokens = r.GetValue(maxNew), Temperature = r.GetValue(temperature), TopP = r.GetValue(topP), Seed = r.GetValue(seed),
            };
            options.Validate();
            string? rawPrompt = r.GetValue(prompt), q = r.GetValue(question);
            if ((rawPrompt is null) == (q is null)) throw new LVPruneException("give --prompt (with <image>) or --question");
            if (rawPrompt is not null) Prompts.RequireImageToken(rawPrompt);
            var picture = ImageIO.Load(r.GetValue(image)!);
            using var pipeline = models.Load(r);
            using var selector = SelectorFactory.Create(spec, pipeline.Model);
            string fullPrompt = rawPrompt ?? pipeline.PromptFor(q!);
            bool asJson = r.GetValue(json);
            var answer = pipeline.Generate([picture], [fullPrompt], options, selector, asJson ? null : text => CliIO.Out.Write(text))[0];
            if (!asJson) CliIO.Out.WriteLine();
            double tflops = FlopsModel.PrefillTflops(pipeline.Model.Config, answer.PromptTokens - 1,
                                                     answer.Stages.Select(s => (s.AfterLayer, s.KeptImageTokens.Length)).ToList(),
                                                     decisionModules: spec.Method == PruningMethod.LVPruning);
            if (r.GetValue(show) is { } png)
            {
                var input = ClipPreprocessor.PrepareImage(picture, pipeline.ImageConfig, pipeline.ImageMode);
                var panels = new List<(string, IReadOnlyCollection<int>?)> { ("all patches", null) };
                panels.AddRange(answer.Stages.Select(s => ($"after layer {s.AfterLayer}: {s.KeptImageTokens.Length} kept", (IReadOnlyCollection<int>?)s.KeptImageTokens)));
                PruningOverlay.Save(png, input, pipeline.Model.Config.VisionConfig.GridSize, panels);
                CliIO.Err.WriteLine($"wrote {png}");
            }
            if (asJson)
            {
                var output = new Dictionary<string, object?>
                {
                    ["text"] = answer.Text, ["tokens"] = answer.Tokens, ["prompt_tokens"] = answer.PromptTokens,
                    ["method"] = spec.MethodName,
                    ["stages"] = answer.Stages.Select(s => new Dictionary<string, object> { ["after_layer"] = s.AfterLayer, ["kept_image_tokens"] = s.KeptImageTokens }).ToList(),
                    ["tflops"] = tflops,
                    ["compute"] = CommonOptions.ComputeReport(pipeline.Model),
                    ["timing"] = new Dictionary<string, object?>
                    {
                        ["vision_s"] = answer.VisionSeconds, ["ttft_s"] = answer.PrefillSeconds, ["decode_s"] = answer.DecodeSeconds,
                        ["decode_steps"] = answer.DecodeSteps, ["decode_ms_per_token"] = answer.DecodeMsPerToken,
                    },
                };
                CliIO.Out.WriteLine(JsonSerializer.Serialize(output));
            }
            else
                CliIO.Err.WriteLine($"[{answer.Tokens.Length} tokens; time to first token {answer.PrefillSeconds * 1000:F0} ms (vision {answer.VisionSeconds * 1000:F0} ms); " +
                                        $"decode {answer.DecodeMsPerToken ?? 0:F1} ms/token; {tflops:F4} TFLOPs prefill" +
                                        (answer.Stages.Count > 0 ? $"; kept {string.Join(" -> ", answer.Stages.Select(s => s.KeptImageTokens.Length))} of {pipeline.Model.Config.ImageTokens} image tokens]" : "]"));
            return 0;
        });
        return cmd;
    }
}
