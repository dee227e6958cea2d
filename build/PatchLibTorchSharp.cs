// MSBuild inline task (RoslynCodeTaskFactory): marks libLibTorchSharp.so's requirement of
// GLIBCXX_3.4.32 as weak when the system libstdc++ does not provide that version.
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so is linked against GCC 13's libstdc++ and so names
// GLIBCXX_3.4.32 in its .gnu.version_r section. Debian 12 / Ubuntu 22.04 ship GCC 12's libstdc++
// (up to GLIBCXX_3.4.30), and the dynamic loader refuses the library. The only symbol behind that
// version is _ZSt21ios_base_library_initv, an iostream-initialisation marker the library never
// calls. Setting VER_FLG_WEAK (0x2) on that Vernaux entry turns the hard failure into a no-op.
//
// The task edits only the copy in the build output (write to a temporary file, then rename, so a
// hard link into the NuGet cache is never modified) and is idempotent.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class PatchGlibcxxRequirement : Task
{
    [Required] public string Directory { get; set; } = "";

    private const string Version = "GLIBCXX_3.4.32";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        if (SystemLibstdcxxHasVersion())
        {
            Log.LogMessage(MessageImportance.Low, $"System libstdc++ provides {Version}; nothing to patch.");
            return true;
        }
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            try
            {
                byte[] bytes = File.ReadAllBytes(path);
                int changed = MarkWeak(bytes);
                if (changed > 0)
                {
                    string tmp = path + ".patching";
                    File.WriteAllBytes(tmp, bytes);
                    File.Delete(path); // breaks a hard link into the package cache instead of writing through it
                    File.Move(tmp, path);
                    Log.LogMessage(MessageImportance.High, $"LVPrune: marked {Version} weak in {path} (system libstdc++ lacks it).");
                }
            }
            catch (Exception e)
            {
                Log.LogWarning($"LVPrune: could not patch {path}: {e.Message}");
            }
        }
        return true;
    }

    private static bool SystemLibstdcxxHasVersion()
    {
        string[] dirs = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                          "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/usr/local/lib64", "/usr/local/lib" };
        byte[] needle = Encoding.ASCII.GetBytes(Version + "\0");
        foreach (string d in dirs)
        {
            string p = Path.Combine(d, "libstdc++.so.6");
            if (!File.Exists(p)) continue;
            byte[] lib = File.ReadAllBytes(p);
            return IndexOf(lib, needle) >= 0;
        }
        return false; // no libstdc++ found where expected: patching is harmless (a weak need binds when present)
    }

    private static int IndexOf(byte[] hay, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named GLIBCXX_3.4.32; returns how many changed.</summary>
    private static int MarkWeak(byte[] b)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F') return 0;
        if (b[4] != 2 || b[5] != 1) return 0; // ELF64 little-endian only
        ulong shoff = BitConverter.ToUInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A);
        int shnum = BitConverter.ToUInt16(b, 0x3C);
        int changed = 0;
        for (int s = 0; s < shnum; s++)
        {
            int sh = checked((int)shoff + s * shentsize);
            if (BitConverter.ToUInt32(b, sh + 4) != ShtGnuVerneed) continue;
            int off = checked((int)BitConverter.ToUInt64(b, sh + 24));
            int link = (int)BitConverter.ToUInt32(b, sh + 40);
            int count = (int)BitConverter.ToUInt32(b, sh + 44);
            int strtab = checked((int)BitConverter.ToUInt64(b, checked((int)shoff + link * shentsize) + 24));
            int vn = off;
            for (int i = 0; i < count; i++)
            {
                int cnt = BitConverter.ToUInt16(b, vn + 2);
                int aux = vn + (int)BitConverter.ToUInt32(b, vn + 8);
                for (int j = 0; j < cnt; j++)
                {
                    ushort flags = BitConverter.ToUInt16(b, aux + 4);
                    int name = strtab + (int)BitConverter.ToUInt32(b, aux + 8);
                    if (ReadCString(b, name) == Version && (flags & VerFlgWeak) == 0)
                    {
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(b, aux + 4);
                        changed++;
                    }
                    uint next = BitConverter.ToUInt32(b, aux + 12);
                    if (next == 0) break;
                    aux += (int)next;
                }
                uint vnext = BitConverter.ToUInt32(b, vn + 12);
                if (vnext == 0) break;
                vn += (int)vnext;
            }
        }
        return changed;
    }

    private static string ReadCString(byte[] b, int at)
    {
        int end = at;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, at, end - at);
    }
}
