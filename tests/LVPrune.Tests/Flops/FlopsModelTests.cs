using System.Text.Json;
using LVPrune.Flops;

namespace LVPrune.Tests.Flops;

public class FlopsModelTests
{
    private static readonly FlopsShape Llava = FlopsShape.Llava15_7B;

    private static double Total(params double[]? keep) => FlopsModel.Compute(Llava, 30, keep).TotalTflops;

    // Paper figures (Fig. 1, Tables 1-2: 1 image + 30 text tokens; reduction relative to no pruning), and the
    // values of the convention table at the top of FlopsModel.cs, computed independently in Python.
    [Theory]
    [InlineData(null, 8.38, 0.0, 8.43191113728)]
    [InlineData(new[] { 0.6, 0.4, 0.2 }, 3.97, 52.6, 3.992305594368)]
    [InlineData(new[] { 0.5, 0.3, 0.1 }, 3.18, 62.1, 3.209407787008)]
    [InlineData(new[] { 0.45, 0.25, 0.05 }, 2.79, 66.7, 2.821265944576)]
    public void TotalsMatchThePaper(double[]? keep, double paperTflops, double paperReductionPercent, double documented)
    {
        double total = Total(keep);
        Assert.InRange(total / paperTflops, 0.98, 1.02);
        Assert.InRange(100 * (1 - total / Total(null)), paperReductionPercent - 0.5, paperReductionPercent + 0.5);
        Assert.Equal(documented, total, 9);
    }

    [Fact]
    public void ThreeDecisionModulesOnUnprunedInputCostThePapers071()
    {
        var report = FlopsModel.Compute(Llava, 30, [1.0, 1.0, 1.0]);
        Assert.InRange(report.Parts.DecisionModules / 0.71, 0.98, 1.02);
        Assert.Equal(0.709591302144, report.Parts.DecisionModules, 9);
        // keep [1, 1, 1] prunes nothing: the rest equals the unpruned model exactly.
        Assert.Equal(Total(null), report.TotalTflops - report.Parts.DecisionModules, 9);
    }

    [Fact]
    public void TokensPerLayerCountWhatEachLayerProcesses()
    {
        // k = floor(rho * 576): 288, 172, 57; modules after layers 0, 7, 15 (0-based).
        int[] expected =
        [
            606,
            .. Enumerable.Repeat(288 + 30, 7),  // layers 1-7
            .. Enumerable.Repeat(172 + 30, 8),  // layers 8-15
            .. Enumerable.Repeat(57 + 30, 16),  // layers 16-31
        ];
        Assert.Equal(expected, FlopsModel.Compute(Llava, 30, [0.5, 0.3, 0.1]).TokensPerLayer);
        Assert.Equal(Enumerable.Repeat(606, 32), FlopsModel.Compute(Llava).TokensPerLayer);
    }

    [Fact]
    public void OneLlamaLayerMatchesTheClosedFormByHand()
    {
        // n = 606, d = 4096, m = 11008, 32 heads x 128:
        //   q, k, v, o: 4 * 2 * 606 * 4096^2      =  81,335,943,168
        //   QK^T, AV:   2 * 2 * 606^2 * 4096      =   6,016,991,232
        //   MLP:        3 * 2 * 606 * 4096 * 11008 = 163,942,563,840
        Assert.Equal(81_335_943_168.0 + 6_016_991_232.0 + 163_942_563_840.0, FlopsModel.LanguageLayerFlops(Llava, 606));
        Assert.Equal(251_295_498_240.0, FlopsModel.LanguageLayerFlops(Llava, 606));
    }

    [Fact]
    public void GroupedQueryAttentionShrinksOnlyTheKeyValueProjections()
    {
        var gqa = Llava with { LmKvHeads = 8 };
        double saved = FlopsModel.LanguageLayerFlops(Llava, 10) - FlopsModel.LanguageLayerFlops(gqa, 10);
        Assert.Equal(2 * 2 * 10.0 * 4096 * (32 - 8) * 128, saved); // k and v: 2 n d (KV hd) each
    }

    [Fact]
    public void PartsAddUpAndMatchHandValues()
    {
        var parts = FlopsModel.Compute(Llava).Parts;
        Assert.Equal(parts.Total, FlopsModel.Compute(Llava).TotalTflops, 12);
        Assert.Equal(0, parts.DecisionModules);
        Assert.Equal(2.0 * 576 * (1024 * 4096 + 4096 * 4096) / 1e12, parts.Projector, 12);
        Assert.Equal(2.0 * 4096 * 32000 / 1e12, parts.LmHead, 12);
        // 23 layers on 577 tokens plus the patch embedding, by hand.
        double layer = 8.0 * 577 * 1024 * 1024 + 4.0 * 577 * 577 * 1024 + 4.0 * 577 * 1024 * 4096;
        Assert.Equal((23 * layer + 2.0 * 576 * 588 * 1024) / 1e12, parts.VisionTower, 12);
        Assert.Equal(32 * 251_295_498_240.0 / 1e12, parts.LanguageModel, 12);
    }

    [Fact]
    public void FlopsFallAsFewerTokensAreKeptAndRiseWithText()
    {
        double previous = double.MaxValue;
        for (double rho = 1.0; rho >= 0.4; rho -= 0.05)
        {
            double total = Total(rho, Math.Max(0.01, rho - 0.2), Math.Max(0.01, rho - 0.4));
            Assert.True(total < previous, $"rho = {rho}: {total} >= {previous}");
            previous = total;
        }
        Assert.True(FlopsModel.Compute(Llava, 60).TotalTflops > FlopsModel.Compute(Llava, 30).TotalTflops);
    }

    [Fact]
    public void KeptTokensAreFlooredAndAtLeastOne()
    {
        Assert.Equal(345, FlopsModel.KeptVisionTokens(0.6, 576));  // 345.6
        Assert.Equal(288, FlopsModel.KeptVisionTokens(0.5, 576));
        Assert.Equal(172, FlopsModel.KeptVisionTokens(0.3, 576));  // 172.8 (and 0.3 * 576 < 172.8 in binary)
        Assert.Equal(1, FlopsModel.KeptVisionTokens(0.001, 576));
    }

    [Fact]
    public void JsonHasExactlyTheDocumentedFields()
    {
        var report = FlopsModel.Compute(Llava, 30, [0.5, 0.3, 0.1]);
        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal(["total_tflops", "parts", "tokens_per_layer"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["vision_tower", "projector", "language_model", "decision_modules", "lm_head"],
            root.GetProperty("parts").EnumerateObject().Select(p => p.Name));
        Assert.Equal(report.TotalTflops, root.GetProperty("total_tflops").GetDouble());
        Assert.Equal(report.TokensPerLayer, root.GetProperty("tokens_per_layer").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.3 })]        // wrong count
    [InlineData(new[] { 0.5, 0.6, 0.1 })]   // increasing
    [InlineData(new[] { 0.5, 0.3, 0.0 })]   // zero
    [InlineData(new[] { 1.5, 0.3, 0.1 })]   // above one
    public void BadKeepRatiosAreUserErrors(double[] keep) =>
        Assert.Throws<LVPruneException>(() => FlopsModel.Compute(Llava, 30, keep));

    [Fact]
    public void BadShapesAreUserErrors()
    {
        Assert.Throws<LVPruneException>(() => FlopsModel.Compute(Llava with { LmHidden = 0 }));
        Assert.Throws<LVPruneException>(() => FlopsModel.Compute(Llava with { DecisionAfterLayers = [0, 40] }));
        Assert.Throws<LVPruneException>(() => FlopsModel.Compute(Llava with { VisionImageSize = 335 }));
    }
}
