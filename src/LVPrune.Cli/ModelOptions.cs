using System.CommandLine;
using LVPrune.Generation;
using LVPrune.Images;
using LVPrune.Models;
using LVPrune.Text;

namespace LVPrune.Cli;

/// <summary>Model loading options of the commands that answer questions: --model, --dtype, --compute, --quantize, --device, --template, --image-mode.</summary>
public sealed class ModelOptions
{
    public Option<string> Model { get; }
    public Option<string> DType { get; } = CommonOptions.DType();
    public Option<string> Compute { get; } = CommonOptions.Compute();
    public Option<string> Quantize { get; } = CommonOptions.Quantize();
    public Option<string> Device { get; } = CommonOptions.Device();
    public Option<string> Template { get; } = new Option<string>("--template") { Description = "prompt template (default: the model's prompt_config.json, else llava-hf)" }.AcceptOnlyFromAmong("llava-hf", "llava-v1");
    public Option<string> ImageMode { get; } = new Option<string>("--image-mode") { Description = "pad (original LLaVA-1.5, default) or crop (llava-hf processor)", DefaultValueFactory = _ => "pad" }.AcceptOnlyFromAmong("pad", "crop");

    public ModelOptions(bool required = false) => Model = CommonOptions.Model(required);

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Model, DType, Compute, Quantize, Device, Template, ImageMode }) cmd.Options.Add(o);
    }

    public string Dir(ParseResult r) => CommonOptions.ResolveModel(r.GetValue(Model));

    /// <summary>The kernel choices the flags ask for.</summary>
    public RuntimeOptions Runtime(ParseResult r) => CommonOptions.Runtime(r.GetValue(Compute), r.GetValue(Quantize));

    public LlavaPipeline Load(ParseResult r)
    {
        string dir = Dir(r);
        var model = CommonOptions.LoadModel(dir, r.GetValue(DType), r.GetValue(Device), CliIO.Err, Runtime(r));
        try
        {
            var pipeline = new LlavaPipeline(model, dir)
            {
                ImageMode = r.GetValue(ImageMode) == "crop" ? ResizeMode.ShortSideCenterCrop : ResizeMode.PadToSquare,
            };
            if (r.GetValue(Template) is { } t) pipeline.Template = Prompts.Parse(t);
            return pipeline;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
