using System.ClientModel;
using LVPrune.Images;
using LVPrune.Serving;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using MeaiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using MeaiChatRole = Microsoft.Extensions.AI.ChatRole;
using ChatFinishReason = Microsoft.Extensions.AI.ChatFinishReason;

namespace LVPrune.Tests.Serving;

/// <summary>
/// The same conversation three ways gives the same greedy answer: in-process through <see cref="LVPruneChatClient"/>
/// (Microsoft.Extensions.AI), and over HTTP from `lvprune serve` through the official OpenAI .NET client, both
/// directly and as an IChatClient (Microsoft.Extensions.AI.OpenAI); with pruning too.
/// </summary>
public class ChatClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly Lazy<byte[]> Png = new(() => ImageIO.Encode(ToyServing.Scene, SkiaSharp.SKEncodedImageFormat.Png));

    private ChatClient OpenAiClient() =>
        new("toy-llava", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(fixture.Harness.Address, "v1") });

    private static List<MeaiChatMessage> Conversation(int question) =>
    [
        new(MeaiChatRole.User, [new Microsoft.Extensions.AI.TextContent(ToyServing.Questions[0]), new DataContent(Png.Value, "image/png")]),
        new(MeaiChatRole.Assistant, ToyServing.Truths[0]),
        new(MeaiChatRole.User, ToyServing.Questions[question]),
    ];

    private static List<OpenAI.Chat.ChatMessage> OpenAiConversation(int question) =>
    [
        new UserChatMessage(ChatMessageContentPart.CreateTextPart(ToyServing.Questions[0]), ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(Png.Value), "image/png")),
        new AssistantChatMessage(ToyServing.Truths[0]),
        new UserChatMessage(ToyServing.Questions[question]),
    ];

#pragma warning disable SCME0001 // JsonPatch: the OpenAI client's way to send a field it does not model
    private static ChatCompletionOptions OpenAiOptions(string? lvprune)
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 };
        if (lvprune is not null) options.Patch.Set("$.lvprune"u8, BinaryData.FromString(lvprune));
        return options;
    }
#pragma warning restore SCME0001

    [Theory]
    [InlineData(4, null)]
    [InlineData(5, "{\"method\":\"lvpruning\",\"rho\":0.5}")]
    [InlineData(2, "{\"method\":\"fastv\",\"rho\":0.3}")]
    public async Task InProcessClient_AndOpenAiClientAgainstTheServer_GiveTheSameAnswer(int question, string? lvprune)
    {
        using var local = LVPruneChatClient.Load(ToyServing.ModelDir, new ChatEngineOptions { ModelId = "toy-llava", AdapterPath = ToyServing.AdapterPath });
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 16 };
        if (lvprune is not null) options.AdditionalProperties = new() { [PruningRequest.FieldName] = System.Text.Json.JsonDocument.Parse(lvprune).RootElement };
        var inProcess = await local.GetResponseAsync(Conversation(question), options);

        var result = await OpenAiClient().CompleteChatAsync(OpenAiConversation(question), OpenAiOptions(lvprune));
        ChatCompletion direct = result.Value;
        // The server pruned as asked: its raw answer carries the lvprune object the client does not model.
        var raw = System.Text.Json.JsonDocument.Parse(result.GetRawResponse().Content.ToString()).RootElement.GetProperty("lvprune");
        using IChatClient viaMeai = OpenAiClient().AsIChatClient();
        var meai = await viaMeai.GetResponseAsync(Conversation(question), new ChatOptions { RawRepresentationFactory = _ => OpenAiOptions(lvprune) });

        Assert.Equal(ToyServing.Truths[question], inProcess.Text);
        Assert.Equal(inProcess.Text, direct.Content[0].Text);
        Assert.Equal(inProcess.Text, meai.Text);
        Assert.Equal(ChatFinishReason.Stop, meai.FinishReason);
        Assert.Equal(inProcess.Usage!.InputTokenCount, direct.Usage.InputTokenCount);
        Assert.Equal(inProcess.Usage.OutputTokenCount, direct.Usage.OutputTokenCount);
        var stats = Assert.IsType<ChatStats>(inProcess.AdditionalProperties![PruningRequest.FieldName]);
        Assert.Equal(lvprune is null ? "none" : lvprune.Contains("fastv") ? "fastv" : "lvpruning", stats.Method);
        Assert.Equal(stats.Method, raw.GetProperty("method").GetString());
        Assert.Equal(stats.Stages.Select(s => s.KeptImageTokens), ServerHarness.Kept(raw));
    }

    [Fact]
    public async Task Streaming_InProcessAndOverHttp_GiveTheSameText()
    {
        using var local = LVPruneChatClient.Load(ToyServing.ModelDir, new ChatEngineOptions { ModelId = "toy-llava", AdapterPath = ToyServing.AdapterPath });
        var options = new ChatOptions
        {
            MaxOutputTokens = 9, StopSequences = ["zzz"],
            AdditionalProperties = new() { [PruningRequest.FieldName] = new PruningRequest("lvpruning", 0.5), ["ignore"] = 1 },
        };
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in local.GetStreamingResponseAsync(Conversation(3), options)) updates.Add(u);
        Assert.True(updates.Count(u => u.Text.Length > 0) >= 1);
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Contains(updates[^1].Contents, c => c is UsageContent);
        var stats = Assert.IsType<ChatStats>(updates[0].AdditionalProperties![PruningRequest.FieldName]);
        Assert.Equal([72, 43, 14], stats.Stages.Select(s => s.KeptImageTokens.Length));

        using IChatClient http = OpenAiClient().AsIChatClient();
        var remote = new System.Text.StringBuilder();
        await foreach (var u in http.GetStreamingResponseAsync(Conversation(3), new ChatOptions { RawRepresentationFactory = _ => OpenAiOptions("{\"method\":\"lvpruning\",\"rho\":0.5}") }))
            remote.Append(u.Text);
        Assert.Equal(string.Concat(updates.Select(u => u.Text)), remote.ToString());
        Assert.Equal(ToyServing.Truths[3], remote.ToString());
    }

    [Fact]
    public async Task BadInput_ThrowsRequestException_InProcess()
    {
        using var local = LVPruneChatClient.Load(ToyServing.ModelDir, new ChatEngineOptions { ModelId = "toy-llava" });
        var noImage = await Assert.ThrowsAsync<RequestException>(() => local.GetResponseAsync([new MeaiChatMessage(MeaiChatRole.User, "hello")]));
        Assert.Equal("no_image", noImage.Code);
        var noAdapter = await Assert.ThrowsAsync<RequestException>(() => local.GetResponseAsync(Conversation(1),
            new ChatOptions { AdditionalProperties = new() { [PruningRequest.FieldName] = new PruningRequest("lvpruning", 0.5) } }));
        Assert.Equal("no_adapter", noAdapter.Code);
    }
}
