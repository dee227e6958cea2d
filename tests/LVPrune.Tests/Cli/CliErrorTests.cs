using LVPrune.Cli;
using LVPrune.Images;
using SkiaSharp;

namespace LVPrune.Tests.Cli;

/// <summary>Bad input: a one-line "error: ..." naming what is wrong, exit code 2, no stack trace.</summary>
public class CliErrorTests
{
    private static (int code, string stdout, string stderr) Run(params string[] args) => CliRunner.Run(args);

    private static void AssertUserError((int code, string stdout, string stderr) r, string expected) => CliRunner.AssertUserError(r, expected);

    [Fact]
    public void MissingModelFolder() => AssertUserError(Run("inspect", "--model", "/nonexistent/model"), "/nonexistent/model");

    [Fact]
    public void UnknownFlagValue() => AssertUserError(Run("flops", "--preset", "llava-1.5-7b", "--dtype", "fp64"), "fp64");

    [Fact]
    public void BadKeepRatios() => AssertUserError(Run("flops", "--preset", "llava-1.5-7b", "--keep", "0.5,0.9"), "must not increase");

    [Fact]
    public void BadRemovalOptions_AreNamed()
    {
        using var ckpt = new TinyCheckpoint();
        string data = Path.Combine(ckpt.Dir, "none.json"), output = Path.Combine(ckpt.Dir, "out");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--out", output, "--removal-share", "1.5"), "--removal-share");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--out", output, "--removal-share", "0.5", "--removal-rho", "0.7-0.4"), "--removal-rho");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--out", output, "--removal-share", "0.5", "--removal-rho", "half"), "half");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--out", output, "--removal-share", "0.5", "--removal-adapter", "/nonexistent/a.safetensors"), "/nonexistent/a.safetensors");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--adapter-out", output, "--removal-share", "0.5"), "--adapter-out");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void BadAdapterTrainingOptions_AreNamed()
    {
        using var ckpt = new TinyCheckpoint();
        string data = Path.Combine(ckpt.Dir, "none.json"), output = Path.Combine(ckpt.Dir, "a.safetensors"), model = Path.Combine(ckpt.Dir, "out");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--adapter-out", output, "--mask-grad-clip", "-5"), "--mask-grad-clip");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--adapter-out", output, "--gumbel-tau", "0"), "--gumbel-tau");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--adapter-out", output, "--lambda-ratio", "-1"), "--lambda-ratio");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--adapter-out", output, "--lambda-distill", "-1"), "--lambda-distill");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--adapter-out", output, "--lambda-attn", "-1"), "--lambda-attn");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--out", model, "--mask-grad-clip", "0.01"), "--adapter-out");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--out", model, "--lambda-distill", "1"), "--adapter-out");
        AssertUserError(Run("train", "--model", ckpt.Dir, "--data", data, "--out", model, "--lambda-attn", "1"), "--adapter-out");
        Assert.False(File.Exists(output));
        Assert.False(Directory.Exists(model));
    }

    [Fact]
    public void PromptWithoutImageToken_AndUndecodableImage()
    {
        using var ckpt = new TinyCheckpoint();
        var png = Path.Combine(ckpt.Dir, "img.png");
        ImageIO.SavePng(RgbImage.Filled(40, 30, 200, 10, 10), png);
        AssertUserError(Run("generate", "--model", ckpt.Dir, "--image", png, "--prompt", "USER: what is it? ASSISTANT:"), "<image>");
        var bad = Path.Combine(ckpt.Dir, "bad.jpg");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5]);
        AssertUserError(Run("generate", "--model", ckpt.Dir, "--image", bad, "--question", "what is it?"), "bad.jpg");
    }

    [Fact]
    public void GenerateJson_PrintsJsonAloneOnStdout()
    {
        using var ckpt = new TinyCheckpoint();
        var png = Path.Combine(ckpt.Dir, "img.png");
        ImageIO.SavePng(RgbImage.Filled(40, 30, 10, 200, 10), png);
        var r = Run("generate", "--model", ckpt.Dir, "--image", png, "--question", "What color is the circle?", "--max-new-tokens", "3", "--json");
        Assert.Equal(0, r.code);
        using var doc = System.Text.Json.JsonDocument.Parse(r.stdout);
        Assert.True(doc.RootElement.TryGetProperty("text", out _));
        Assert.True(doc.RootElement.GetProperty("tokens").GetArrayLength() <= 3);
    }

    [Fact]
    public void FlopsJson_HasTheContractFields()
    {
        var r = Run("flops", "--preset", "llava-1.5-7b", "--rho", "0.5", "--json");
        Assert.Equal(0, r.code);
        using var doc = System.Text.Json.JsonDocument.Parse(r.stdout);
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("total_tflops").GetDouble(), 3.18 * 0.98, 3.18 * 1.02);
        foreach (var part in new[] { "vision_tower", "projector", "language_model", "decision_modules", "lm_head" })
            Assert.True(root.GetProperty("parts").TryGetProperty(part, out _), part);
        Assert.Equal(32, root.GetProperty("tokens_per_layer").GetArrayLength());
    }
}
