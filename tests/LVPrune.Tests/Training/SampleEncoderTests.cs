using LVPrune.Models;
using LVPrune.Text;
using LVPrune.Toy;
using LVPrune.Training;
using LVPrune.Data;
using LVPrune.Recipes;

namespace LVPrune.Tests.Training;

public class SampleEncoderTests
{
    private static (LlavaTokenizer tok, string dir) ToyTokenizer()
    {
        var dir = Directory.CreateTempSubdirectory("lvprune-tok").FullName;
        ToyModel.WriteSkeleton(dir);
        return (LlavaTokenizer.Load(dir), dir);
    }

    [Fact]
    public void Labels_MaskEverythingButTheAnswersAndTheirEos()
    {
        var (tok, dir) = ToyTokenizer();
        var encoder = new SampleEncoder(tok, PromptTemplate.LlavaHf);
        var sample = new ConversationSample("1", "images/x.png",
            [new("human", "What color is the circle?\n<image>"), new("gpt", "red"), new("human", "How many blue objects are there?"), new("gpt", "2")],
            "multi", null, null);
        var e = encoder.Encode(sample, "x.png", "test");
        var supervised = e.Ids.Zip(e.Labels).Where(p => p.Second != LlavaBatch.IgnoreIndex).Select(p => (int)p.First).ToArray();
        Assert.Equal([tok.TokenToId("▁red")!.Value, tok.EosId, tok.TokenToId("▁2")!.Value, tok.EosId], supervised);
        Assert.All(e.Ids.Zip(e.Labels), p => Assert.True(p.Second == LlavaBatch.IgnoreIndex || p.Second == p.First));
        // The image token moved to the front of the first turn, exactly once.
        Assert.Equal(1, e.Ids.Count(t => t == tok.ImageTokenId));
        // The first turn's tokens equal the inference prompt's tokens.
        var prompt = encoder.EncodePrompt("What color is the circle?");
        Assert.Equal(prompt, e.Ids.Take(prompt.Length).ToArray());
        Assert.Equal("red", tok.Decode([(int)e.Ids[prompt.Length]]));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Truncation_KeepsIdsAndLabelsAligned()
    {
        var (tok, dir) = ToyTokenizer();
        var encoder = new SampleEncoder(tok, PromptTemplate.LlavaHf, maxLength: 6);
        var e = encoder.Encode(new ConversationSample("1", "x.png", [new("human", "<image>\nWhat shape is the red object?"), new("gpt", "circle")], null, null, null), "x.png", "t");
        Assert.Equal(6, e.Ids.Length);
        Assert.Equal(6, e.Labels.Length);
        Directory.Delete(dir, true);
    }
}
