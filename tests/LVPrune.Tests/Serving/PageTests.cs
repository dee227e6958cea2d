using System.Text.Json;
using LVPrune.Images;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace LVPrune.Tests.Serving;

/// <summary>
/// The page at GET / in a real headless Chromium (Selenium WebDriver over the system browser): pick the demo
/// scene, ask with LVPruning, watch the answer stream in, and check the overlay: one canvas per stage whose
/// kept patches are the server's, drawn bright, the pruned ones dimmed.
/// </summary>
public class PageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static ChromeDriver Browser(string profile)
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(SystemBrowser.Driver)!, Path.GetFileName(SystemBrowser.Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = SystemBrowser.Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1200,1000", $"--user-data-dir={profile}");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static IWebElement WaitFor(IWebDriver driver, By by, Func<IWebElement, bool> ready, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            var found = driver.FindElements(by).FirstOrDefault();
            if (found is not null && ready(found)) return found;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"the page never showed {what}");
    }

    [BrowserFact]
    public async Task ThePage_AsksAboutTheScene_StreamsTheAnswer_AndDrawsTheKeptPatches()
    {
        using var temp = new Toy.TempFolder();
        string scene = Path.Combine(temp.Path, "scene.png");
        ImageIO.SavePng(ToyServing.Scene, scene);
        string question = ToyServing.Questions[0];
        var expected = await fixture.Harness.AnswerAsync(ServerHarness.Ask(question, ServerHarness.Pruning("lvpruning", 0.5)));
        var expectedKept = ServerHarness.Kept(expected.GetProperty("lvprune"));

        using var driver = Browser(Path.Combine(temp.Path, "profile"));
        driver.Navigate().GoToUrl(fixture.Harness.Address);
        driver.FindElement(By.Id("file")).SendKeys(scene);
        WaitFor(driver, By.Id("image-info"), e => e.Text.Contains("192 x 192"), "the picked image");
        driver.FindElement(By.Id("question")).SendKeys(question);
        driver.FindElement(By.CssSelector("#method option[value=lvpruning]")).Click();
        var rho = driver.FindElement(By.Id("rho"));
        rho.Clear();
        rho.SendKeys("0.5");
        driver.FindElement(By.Id("send")).Click();

        var answer = WaitFor(driver, By.CssSelector("article.answer"), e => e.GetAttribute("data-state") != "streaming", "a finished answer");
        Assert.Equal("done", answer.GetAttribute("data-state"));
        Assert.Equal(ToyServing.Truths[0], answer.FindElement(By.CssSelector(".text")).Text);
        Assert.Equal(ServerHarness.Content(expected), answer.FindElement(By.CssSelector(".text")).Text);
        Assert.Matches(@"TTFT \d+\.\d ms", answer.FindElement(By.CssSelector(".meta")).Text);

        var stages = answer.FindElements(By.CssSelector("canvas.stage"));
        Assert.Equal(expectedKept.Length, stages.Count);
        for (int s = 0; s < stages.Count; s++)
        {
            Assert.Equal(expectedKept[s].Length.ToString(), stages[s].GetAttribute("data-kept-count"));
            Assert.Equal(string.Join(",", expectedKept[s]), stages[s].GetAttribute("data-kept"));
        }

        // The pixels: at the centre of each patch, a kept patch shows the image as the input canvas does and a
        // pruned one is dimmed to a third. Brightness per patch centre, read from the canvases.
        const string script = """
            const canvas = arguments[0], grid = 12, p = canvas.width / grid, ctx = canvas.getContext('2d'), out = [];
            for (let i = 0; i < grid * grid; i++) {
              const d = ctx.getImageData(Math.floor((i % grid + 0.5) * p), Math.floor((Math.floor(i / grid) + 0.5) * p), 1, 1).data;
              out.push(d[0] + d[1] + d[2]);
            }
            return out;
            """;
        double[] Brightness(IWebElement canvas) => ((IEnumerable<object>)((IJavaScriptExecutor)driver).ExecuteScript(script, canvas)!).Select(Convert.ToDouble).ToArray();
        var input = Brightness(answer.FindElement(By.CssSelector("canvas.input")));
        var last = Brightness(stages[^1]);
        var kept = expectedKept[^1].ToHashSet();
        for (int i = 0; i < 144; i++)
        {
            if (kept.Contains(i)) Assert.True(Math.Abs(last[i] - input[i]) <= 6, $"kept patch {i}: {last[i]} vs {input[i]} in the input");
            else Assert.True(last[i] <= 0.4 * input[i] + 6, $"pruned patch {i} is not dimmed: {last[i]} vs {input[i]}");
        }
        Assert.True(input.Average() > 200, "the input canvas shows the image");
    }
}
