using System.Text;

namespace LVPrune.Text;

/// <summary>
/// Builds LLaVA-1.5 prompts. Both templates follow LLaVA's SeparatorStyle.TWO (llava/conversation.py):
/// each turn is "ROLE: message" followed by sep " " after a user message and sep2 "&lt;/s&gt;" after an
/// assistant answer, and the prompt ends with "ASSISTANT:" for the model to continue. The image
/// placeholder goes at the front of the first user message as "&lt;image&gt;\n" (LLaVA's model_vqa),
/// unless that message already holds one.
/// <code>
/// llava-hf:  USER: &lt;image&gt;\nQ1 ASSISTANT: A1&lt;/s&gt;USER: Q2 ASSISTANT:
/// llava-v1:  {system} USER: &lt;image&gt;\nQ1 ASSISTANT: A1&lt;/s&gt;USER: Q2 ASSISTANT:
/// </code>
/// The llava-hf multi-turn form is the one in transformers' LLaVA documentation; its chat template
/// writes " " instead of "&lt;/s&gt;" after an answer, but LLaVA-1.5 was trained with "&lt;/s&gt;".
/// </summary>
public static class Prompts
{
    public const string ImageToken = "<image>";

    /// <summary>conv_vicuna_v1's system line, used by LLaVA-1.5 for training and evaluation. (conv_llava_v1
    /// differs only in saying "human" for "user"; LLaVA-1.5's scripts do not use it.)</summary>
    public const string VicunaV1System =
        "A chat between a curious user and an artificial intelligence assistant. "
        + "The assistant gives helpful, detailed, and polite answers to the user's questions.";

    private const string UserRole = "USER";
    private const string AssistantRole = "ASSISTANT";
    private const string UserSeparator = " ";
    private const string AnswerSeparator = "</s>";

    /// <summary>A single-turn prompt about one image.</summary>
    public static string Format(PromptTemplate template, string question) => Format(template, question, []);

    /// <summary>A prompt continuing a conversation: <paramref name="history"/> holds the earlier
    /// (user, assistant) turns, oldest first; <paramref name="question"/> is the new user message.</summary>
    public static string Format(PromptTemplate template, string question, IReadOnlyList<(string User, string Assistant)> history)
    {
        var prompt = new StringBuilder();
        if (template == PromptTemplate.LlavaV1) prompt.Append(VicunaV1System).Append(UserSeparator);
        else if (template != PromptTemplate.LlavaHf) throw new ArgumentOutOfRangeException(nameof(template), template, null);

        for (int turn = 0; turn <= history.Count; turn++)
        {
            string user = turn < history.Count ? history[turn].User : question;
            if (turn == 0 && !user.Contains(ImageToken, StringComparison.Ordinal)) user = ImageToken + "\n" + user;
            prompt.Append(UserRole).Append(": ").Append(user).Append(UserSeparator).Append(AssistantRole).Append(':');
            if (turn < history.Count) prompt.Append(' ').Append(history[turn].Assistant).Append(AnswerSeparator);
        }
        return prompt.ToString();
    }

    /// <summary>Parses "llava-hf" or "llava-v1" (case-insensitive).</summary>
    public static PromptTemplate Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "llava-hf" => PromptTemplate.LlavaHf,
        "llava-v1" => PromptTemplate.LlavaV1,
        _ => throw new LVPruneException($"unknown prompt template '{name}' (expected llava-hf or llava-v1)"),
    };

    /// <summary>The name <see cref="Parse"/> accepts for a template.</summary>
    public static string Name(PromptTemplate template) => template switch
    {
        PromptTemplate.LlavaHf => "llava-hf",
        PromptTemplate.LlavaV1 => "llava-v1",
        _ => throw new ArgumentOutOfRangeException(nameof(template), template, null),
    };

    /// <summary>Throws unless <paramref name="prompt"/> contains the image placeholder.</summary>
    public static void RequireImageToken(string prompt, string imageToken = ImageToken)
    {
        if (!prompt.Contains(imageToken, StringComparison.Ordinal)) throw new LVPruneException($"prompt has no {imageToken} token");
    }
}
