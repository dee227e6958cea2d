using System.Runtime.InteropServices;

namespace LVPrune.Tests;

public class HugePagesTests
{
    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv(string name);

    [Fact]
    public void Enable_SetsTheVariableNativeCodeReads_OnLinux()
    {
        bool on = HugePages.Enable();
        if (!OperatingSystem.IsLinux()) { Assert.False(on); return; }
        // LibTorch reads it with getenv, which .NET's own Environment.SetEnvironmentVariable would not reach.
        var value = Marshal.PtrToStringAnsi(GetEnv(HugePages.Variable));
        Assert.Equal(Environment.GetEnvironmentVariable(HugePages.Variable) ?? "1", value);
        Assert.Equal(value == "1", on);
    }
}
