namespace LVPrune.Server;

/// <summary>The page served at GET / (Page/index.html, embedded): self-contained HTML and JavaScript, no build step, no CDN.</summary>
public static class Page
{
    private static readonly Lazy<string> _html = new(() =>
    {
        using var stream = typeof(Page).Assembly.GetManifestResourceStream("LVPrune.Server.index.html")
            ?? throw new InvalidOperationException("the embedded page LVPrune.Server.index.html is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Html => _html.Value;
}
