using LVPrune.Tests.Cli;
using LVPrune.Toy;

namespace LVPrune.Tests.Benchmarks;

/// <summary>Bad input to eval --benchmark and score: a one-line error naming the file and line, exit 2, no output file.</summary>
public class BenchmarkBadInputTests
{
    private static void AssertOneLineError((int Code, string Out, string Err) r, params string[] mentions)
    {
        Assert.Equal(2, r.Code);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        foreach (string m in mentions) Assert.Contains(m, lines[0]);
    }

    [Fact]
    public void QuestionFileOfAnotherBenchmark_MissingImage_MalformedTsv_OtherAnswers()
    {
        using var f = new BenchFiles();
        string pope = Path.Combine(f.Dir, "pope");
        ShapesVqaBenchmarkFiles.Write(pope, ToyBenchmarkFormat.Pope, 6, seed: 3, minObjects: 1, maxObjects: 2, imageSize: 64);
        string questions = Path.Combine(pope, "llava_pope_test.jsonl");
        string answers = Path.Combine(f.Dir, "out.jsonl");

        // POPE's question file given as VQAv2's.
        AssertOneLineError(CliRunner.Run("eval", "--benchmark", "vqav2", "--questions", questions, "--images", Path.Combine(pope, "images"), "--answers", answers),
                           "llava_pope_test.jsonl line 1", "POPE");
        // ScienceQA's JSON list given as GQA's.
        string sqa = f.Json("llava_test_CQM-A.json", new[] { new { id = "1", conversations = new[] { new { from = "human", value = "Q" } } } });
        AssertOneLineError(CliRunner.Run("eval", "--benchmark", "gqa", "--questions", sqa, "--images", pope, "--answers", answers), "llava_test_CQM-A.json line 1");
        // A missing image.
        string firstImage = Directory.GetFiles(Path.Combine(pope, "images")).Order().First();
        File.Delete(firstImage);
        var missing = CliRunner.Run("eval", "--benchmark", "pope", "--questions", questions, "--images", Path.Combine(pope, "images"), "--answers", answers);
        AssertOneLineError(missing, "llava_pope_test.jsonl line", Path.GetFileName(firstImage), "not found");
        // A malformed MMBench row (more fields than the header).
        string tsv = f.Text("mmbench_dev.tsv", "index\tquestion\thint\tA\tB\tanswer\timage\n1\tq\tnan\tx\ty\tA\tiVBORw0KGgo=\n2\tq\tnan\tx\ty\tA\tiVBORw0KGgo=\tstray\n");
        AssertOneLineError(CliRunner.Run("eval", "--benchmark", "mmbench", "--questions", tsv, "--answers", answers), "mmbench_dev.tsv line 3");
        Assert.False(File.Exists(answers));

        // An answer file for other questions.
        string other = f.Lines("other.jsonl", BenchFiles.Answer(1, "yes"), BenchFiles.Answer(99999999, "no"));
        AssertOneLineError(CliRunner.Run("score", "--benchmark", "pope", "--answers", other, "--questions", questions, "--annotations", Path.Combine(pope, "coco")),
                           "other.jsonl line 2", "99999999");
    }
}
