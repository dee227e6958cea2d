namespace LVPrune.Tests.Serving;

/// <summary>The system's headless browser for page tests: Debian's chromium and chromium-driver (.ci/run installs them).</summary>
public static class SystemBrowser
{
    public static string Chromium => Environment.GetEnvironmentVariable("LVPRUNE_CHROMIUM") ?? "/usr/bin/chromium";
    public static string Driver => Environment.GetEnvironmentVariable("LVPRUNE_CHROMEDRIVER") ?? "/usr/bin/chromedriver";
    public static bool Present => File.Exists(Chromium) && File.Exists(Driver);
}
