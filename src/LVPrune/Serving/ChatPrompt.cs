using LVPrune.Images;
using LVPrune.Text;

namespace LVPrune.Serving;

/// <summary>
/// A conversation turned into one LLaVA-1.5 prompt through the model's template (<see cref="Prompts.Format(PromptTemplate, string, IReadOnlyList{ValueTuple{string, string}})"/>):
/// <list type="bullet">
/// <item>user and assistant turns alternate, starting and ending with the user (consecutive user turns are
/// joined by a newline, as one message);</item>
/// <item>system turns have no slot in LLaVA-1.5's templates: their text is put before the first user message;</item>
/// <item>exactly one image, in a user turn: LLaVA-1.5 takes one. It goes into the first user message where the
/// model's prompt_config.json places it, as LLaVA-1.5 was trained (the image is part of the first turn),
/// so a single question gives the same prompt as <c>lvprune generate --question</c>.</item>
/// </list>
/// </summary>
public static class ChatPrompt
{
    public static (string Prompt, RgbImage Image) Build(IReadOnlyList<ChatTurn> turns, PromptTemplate template, ImagePosition position)
    {
        if (turns.Count == 0) throw new RequestException("messages is empty: send at least one user message with an image", "messages", "invalid_messages");
        var images = turns.SelectMany(t => t.Images.Select(i => (Turn: t, Image: i))).ToList();
        if (images.Count == 0)
            throw new RequestException("no image: LLaVA-1.5 answers about one image; send one image_url content part in a user message", "messages", "no_image");
        if (images.Count > 1)
            throw new RequestException($"{images.Count} images ({string.Join(", ", images.Select(i => i.Turn.Source))}): LLaVA-1.5 takes one image per conversation",
                                       images[1].Turn.Source, "too_many_images");
        if (images[0].Turn.Role != ChatTurnRole.User)
            throw new RequestException($"{images[0].Turn.Source}: only a user message may carry the image", images[0].Turn.Source, "invalid_messages");
        foreach (var t in turns)
            if (t.Text.Contains(Prompts.ImageToken, StringComparison.Ordinal))
                throw new RequestException($"{t.Source}: text may not contain the literal {Prompts.ImageToken} token; send the image as an image_url part", t.Source, "invalid_messages");

        string system = string.Join("\n", turns.Where(t => t.Role == ChatTurnRole.System).Select(t => t.Text.Trim()).Where(s => s.Length > 0));
        var dialogue = new List<(ChatTurnRole Role, string Text, string Source)>();
        foreach (var t in turns.Where(t => t.Role != ChatTurnRole.System))
        {
            if (dialogue.Count > 0 && dialogue[^1].Role == t.Role)
            {
                if (t.Role == ChatTurnRole.Assistant)
                    throw new RequestException($"{t.Source}: two assistant messages in a row; user and assistant messages must alternate", t.Source, "invalid_messages");
                dialogue[^1] = (t.Role, dialogue[^1].Text + "\n" + t.Text, dialogue[^1].Source);
            }
            else dialogue.Add((t.Role, t.Text, t.Source));
        }
        if (dialogue.Count == 0 || dialogue[0].Role != ChatTurnRole.User)
            throw new RequestException("the conversation must start with a user message (after any system messages)", "messages", "invalid_messages");
        if (dialogue[^1].Role != ChatTurnRole.User)
            throw new RequestException($"{dialogue[^1].Source}: the last message must be the user's (the model answers it)", dialogue[^1].Source, "invalid_messages");

        var users = dialogue.Where(d => d.Role == ChatTurnRole.User).Select(d => d.Text).ToList();
        var answers = dialogue.Where(d => d.Role == ChatTurnRole.Assistant).Select(d => d.Text).ToList();
        if (system.Length > 0) users[0] = system + "\n" + users[0];
        users[0] = PromptConfig.PlaceImage(users[0], position);
        var history = Enumerable.Range(0, answers.Count).Select(i => (users[i], answers[i])).ToList();
        return (Prompts.Format(template, users[^1], history), images[0].Image);
    }
}
