using LVPrune.Images;
using LVPrune.Serving;
using LVPrune.Text;

namespace LVPrune.Tests.Serving;

/// <summary>Conversations become the template's prompts; malformed ones are refused naming the message at fault.</summary>
public class ChatPromptTests
{
    private static readonly RgbImage Image = RgbImage.Filled(4, 4, 1, 2, 3);

    private static ChatTurn User(string text, int index, bool image = false) => new(ChatTurnRole.User, text, image ? [Image] : [], $"messages[{index}]");
    private static ChatTurn Assistant(string text, int index) => new(ChatTurnRole.Assistant, text, $"messages[{index}]");

    [Fact]
    public void OneQuestion_IsTheGenerateCommandsPrompt()
    {
        var (prompt, image) = ChatPrompt.Build([User("What is shown?", 0, image: true)], PromptTemplate.LlavaHf, ImagePosition.BeforeQuestion);
        Assert.Equal("USER: <image>\nWhat is shown? ASSISTANT:", prompt);
        Assert.Same(Image, image);
        var (after, _) = ChatPrompt.Build([User("What is shown?", 0, image: true)], PromptTemplate.LlavaHf, ImagePosition.AfterQuestion);
        Assert.Equal(Prompts.Format(PromptTemplate.LlavaHf, PromptConfig.PlaceImage("What is shown?", ImagePosition.AfterQuestion)), after);
    }

    [Fact]
    public void MultiTurn_FollowsTheTemplate_SystemFirst_ImageInTheFirstTurn()
    {
        var turns = new[]
        {
            new ChatTurn(ChatTurnRole.System, "Answer in one word.", "messages[0]"),
            User("How many?", 1), Assistant("2", 2), User("Which colour?", 3, image: true), User("Be brief.", 4),
        };
        var (prompt, _) = ChatPrompt.Build(turns, PromptTemplate.LlavaV1, ImagePosition.BeforeQuestion);
        Assert.Equal(Prompts.Format(PromptTemplate.LlavaV1, "Which colour?\nBe brief.", [("<image>\nAnswer in one word.\nHow many?", "2")]), prompt);
        Assert.Equal(Prompts.VicunaV1System + " USER: <image>\nAnswer in one word.\nHow many? ASSISTANT: 2</s>USER: Which colour?\nBe brief. ASSISTANT:", prompt);
    }

    [Theory]
    [InlineData("none", "no_image", "messages")]
    [InlineData("two", "too_many_images", "messages[2]")]
    [InlineData("assistant-last", "invalid_messages", "messages[1]")]
    [InlineData("two-assistants", "invalid_messages", "messages[2]")]
    [InlineData("literal-image", "invalid_messages", "messages[0]")]
    [InlineData("assistant-image", "invalid_messages", "messages[1]")]
    public void BadConversations_AreRefusedNamingTheMessage(string kind, string code, string param)
    {
        ChatTurn[] turns = kind switch
        {
            "none" => [User("hi", 0)],
            "two" => [User("a", 0, image: true), Assistant("b", 1), User("c", 2, image: true)],
            "assistant-last" => [User("a", 0, image: true), Assistant("b", 1)],
            "two-assistants" => [User("a", 0, image: true), Assistant("b", 1), Assistant("c", 2), User("d", 3)],
            "literal-image" => [User("look: <image>", 0, image: true)],
            _ => [User("a", 0), new ChatTurn(ChatTurnRole.Assistant, "b", [Image], "messages[1]"), User("c", 2)],
        };
        var e = Assert.Throws<RequestException>(() => ChatPrompt.Build(turns, PromptTemplate.LlavaHf, ImagePosition.BeforeQuestion));
        Assert.Equal((400, code, param), (e.Status, e.Code, e.Param));
    }
}
