using LVPrune.Text;

namespace LVPrune.Tests.Text;

/// <summary>A temporary llava-hf-layout tokenizer folder with a word-level vocabulary, built once per test class.</summary>
public sealed class TokenizerFolderFixture : IDisposable
{
    public static readonly string[] Corpus =
    [
        "USER: <image>\nWhat is shown? ASSISTANT:",
        "What color is the square? ASSISTANT: The square is red.",
        "A chat between a curious user and an artificial intelligence assistant.",
        "How many circles are there? Answer: 3 circles",
    ];

    public TokenizerFolderFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "lvprune-text-" + Guid.NewGuid().ToString("N"));
        Pieces = LlavaTokenizerWriter.WriteFolder(Directory, Corpus);
        Tokenizer = LlavaTokenizer.Load(Directory);
    }

    public string Directory { get; }
    public IReadOnlyList<VocabularyPiece> Pieces { get; }
    public LlavaTokenizer Tokenizer { get; }

    /// <summary>A fresh empty temporary folder under this fixture's folder.</summary>
    public string NewSubfolder()
    {
        string dir = Path.Combine(Directory, Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
