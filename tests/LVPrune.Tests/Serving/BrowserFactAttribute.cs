namespace LVPrune.Tests.Serving;

/// <summary>The system's headless browser for page tests: Debian's chromium and chromium-driver (.ci/run installs them).</summary>
public static class SystemBrowser
{
    public static string Chromium => Environment.GetEnvironmentVariable("LVPRUNE_CHROMIUM") ?? "/usr/bin/chromium";
    public static string Driver => Environment.GetEnvironmentVariable("LVPRUNE_CHROMEDRIVER") ?? "/usr/bin/chromedriver";
    public static bool Present => File.Exists(Chromium) && File.Exists(Driver);
}

/// <summary>A fact reported as skipped, never as passed, where no system Chromium and chromedriver are installed.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!SystemBrowser.Present) Skip = $"needs {SystemBrowser.Chromium} and {SystemBrowser.Driver} (apt-get install chromium chromium-driver)";
    }
}
