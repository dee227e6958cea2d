using LVPrune.Text;

namespace LVPrune.Tests.Text;

public sealed class PromptsTests
{
    private const string System =
        "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

    [Fact]
    public void SingleTurnPrompts()
    {
        Assert.Equal("USER: <image>\nWhat is shown? ASSISTANT:", Prompts.Format(PromptTemplate.LlavaHf, "What is shown?"));
        Assert.Equal(System + " USER: <image>\nWhat is shown? ASSISTANT:", Prompts.Format(PromptTemplate.LlavaV1, "What is shown?"));
        // A question that places the image itself is left alone.
        Assert.Equal("USER: Look: <image> ASSISTANT:", Prompts.Format(PromptTemplate.LlavaHf, "Look: <image>"));
    }

    [Fact]
    public void MultiTurnPromptsCloseAnswersWithEos()
    {
        (string, string)[] history = [("What is it?", "A cat."), ("What color?", "Black.")];
        Assert.Equal("USER: <image>\nWhat is it? ASSISTANT: A cat.</s>USER: What color? ASSISTANT: Black.</s>USER: Why? ASSISTANT:",
            Prompts.Format(PromptTemplate.LlavaHf, "Why?", history));
        Assert.Equal(System + " USER: <image>\nWhat is it? ASSISTANT: A cat.</s>USER: Why? ASSISTANT:",
            Prompts.Format(PromptTemplate.LlavaV1, "Why?", history[..1]));
    }

    [Fact]
    public void ParseAcceptsTheTwoNamesOnly()
    {
        Assert.Equal(PromptTemplate.LlavaHf, Prompts.Parse("llava-hf"));
        Assert.Equal(PromptTemplate.LlavaV1, Prompts.Parse("LLaVA-v1"));
        foreach (PromptTemplate t in Enum.GetValues<PromptTemplate>()) Assert.Equal(t, Prompts.Parse(Prompts.Name(t)));
        var e = Assert.Throws<LVPruneException>(() => Prompts.Parse("vicuna"));
        Assert.Contains("'vicuna'", e.Message);
    }

    [Fact]
    public void RequireImageToken()
    {
        Prompts.RequireImageToken("USER: <image>\nHi ASSISTANT:");
        var e = Assert.Throws<LVPruneException>(() => Prompts.RequireImageToken("USER: Hi ASSISTANT:"));
        Assert.Equal("prompt has no <image> token", e.Message);
    }
}
