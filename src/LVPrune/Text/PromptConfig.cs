using System.Text.Json;
using System.Text.Json.Serialization;

namespace LVPrune.Text;

/// <summary>Where the image goes in the first user turn.</summary>
public enum ImagePosition
{
    /// <summary>"&lt;image&gt;\n{question}": LLaVA-1.5's layout (image tokens cannot see the question).</summary>
    BeforeQuestion,
    /// <summary>"{question}\n&lt;image&gt;": the question comes first, so the image tokens can attend to it.</summary>
    AfterQuestion,
}

/// <summary>
/// How a model expects its prompts, stored beside its weights as prompt_config.json (an LVPrune
/// file; a folder without it gets LLaVA-1.5's defaults: the llava-hf template, image first).
/// Training writes it, so a model is always asked the way it was taught.
/// </summary>
public sealed record PromptConfig
{
    public const string FileName = "prompt_config.json";

    [JsonPropertyName("template")] public string Template { get; init; } = "llava-hf";
    [JsonPropertyName("image_position")] public string Position { get; init; } = "before_question";

    [JsonIgnore] public PromptTemplate TemplateKind => Prompts.Parse(Template);
    [JsonIgnore] public ImagePosition ImagePosition => ParsePosition(Position);

    public static ImagePosition ParsePosition(string text) => text switch
    {
        "before_question" or "first" => ImagePosition.BeforeQuestion,
        "after_question" or "last" => ImagePosition.AfterQuestion,
        _ => throw new LVPruneException($"image position '{text}' must be before_question (first) or after_question (last)"),
    };

    public static string Name(ImagePosition p) => p == ImagePosition.BeforeQuestion ? "before_question" : "after_question";

    public static PromptConfig Load(string modelDir)
    {
        string path = Path.Combine(modelDir, FileName);
        if (!File.Exists(path)) return new PromptConfig();
        try
        {
            var config = JsonSerializer.Deserialize<PromptConfig>(File.ReadAllText(path)) ?? new PromptConfig();
            _ = config.TemplateKind; _ = config.ImagePosition; // validate
            return config;
        }
        catch (JsonException e) { throw new LVPruneException($"{path}: not valid JSON ({e.Message})"); }
    }

    public void Save(string modelDir) =>
        AtomicFile.WriteAllText(Path.Combine(modelDir, FileName), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The first user message with the image token placed: "&lt;image&gt;\nq" or "q\n&lt;image&gt;".</summary>
    public static string PlaceImage(string question, ImagePosition position)
    {
        string q = question.Replace(Prompts.ImageToken, "").Trim();
        return position == ImagePosition.BeforeQuestion ? Prompts.ImageToken + "\n" + q : q + "\n" + Prompts.ImageToken;
    }
}
