using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using LVPrune.Cli;
using LVPrune.Tests.Cli;
using LVPrune.Toy;

namespace LVPrune.Tests.Benchmarks;

/// <summary>ShapesVQA written in VQAv2's, GQA's and POPE's own files (12 questions each), once for the class.</summary>
public sealed class ToyBenchmarkData : IDisposable
{
    public ToyBenchmarkData()
    {
        ShapesVqaBenchmarkFiles.Write(Path.Combine(Dir, "vqav2"), ToyBenchmarkFormat.Vqav2, 12, seed: 71, minObjects: 1, maxObjects: 3);
        ShapesVqaBenchmarkFiles.Write(Path.Combine(Dir, "gqa"), ToyBenchmarkFormat.Gqa, 12, seed: 72, minObjects: 1, maxObjects: 3);
        ShapesVqaBenchmarkFiles.Write(Path.Combine(Dir, "pope"), ToyBenchmarkFormat.Pope, 12, seed: 73, minObjects: 1, maxObjects: 3);
    }

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "lvprune-toybench-" + Guid.NewGuid().ToString("N"));

    public string P(params string[] parts) => Path.Combine([Dir, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// `eval --benchmark`, `score`, `eval merge` and `report` end to end on the bundled toy model: answers and
/// scores, two shards merged = one run, resume after a kill, a batch = one question at a time, and
/// agreement with `eval --data` on the same questions.
/// </summary>
public class BenchmarkEndToEndTests(ToyBenchmarkData data) : IClassFixture<ToyBenchmarkData>
{
    private static readonly string Adapter = Path.Combine(CommonOptions.BundledModel, "lvpruning.safetensors");

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private string[] Vqav2(string answers, params string[] more) =>
    [
        "eval", "--benchmark", "vqav2", "--questions", data.P("vqav2", "llava_vqav2_mscoco_val2014.jsonl"), "--images", data.P("vqav2", "images"),
        "--answers", answers, "--adapter", Adapter, "--rho", "0.5", .. more,
    ];

    /// <summary>The answer file without what differs from run to run (answer ids, measured times).</summary>
    internal static List<string> Comparable(string path) => File.ReadAllLines(path).Select(l =>
    {
        var o = JsonNode.Parse(l)!.AsObject();
        o.Remove("answer_id");
        o["metadata"]!.AsObject().Remove("ttft_s");
        return o.ToJsonString();
    }).ToList();

    // The file as it is while another process writes it (File.ReadAllText would wait for the writer).
    private static string SharedText(string path)
    {
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    [Fact]
    public void Vqav2_Scores_ShardsMerge_ResumeAndBatchesGiveTheSameFile()
    {
        string dir = data.P("vqav2");
        string whole = data.P("vqav2", "whole.jsonl");
        var r = Run(Vqav2(whole, "--batch-size", "4", "--annotations", Path.Combine(dir, "v2_mscoco_val2014_annotations.json"), "--json"));
        Assert.True(r.Code == 0, r.Err);
        var score = JsonNode.Parse(r.Out)!;
        Assert.Equal("vqav2", score["benchmark"]!.GetValue<string>());
        Assert.Equal(12, score["count"]!.GetValue<int>());
        Assert.Equal("lvpruning", score["config"]!["method"]!.GetValue<string>());
        Assert.True(score["config"]!["tflops"]!.GetValue<double>() > 0);
        Assert.Equal(14, score["config"]!["mean_kept_tokens"]!.GetValue<double>()); // the last stage keeps floor(0.1 * 144)
        double accuracy = score["accuracy"]!.GetValue<double>();
        Assert.InRange(accuracy, 0.3, 1.0);
        Assert.Contains("questions/s", r.Err);
        foreach (var line in File.ReadAllLines(whole))
            Assert.Equal([72, 43, 14], JsonDocument.Parse(line).RootElement.GetProperty("metadata").GetProperty("kept_tokens").EnumerateArray().Select(e => e.GetInt32()));

        // `score` on the file gives the same number; the official text is printed without --json.
        var s = Run("score", "--benchmark", "vqav2", "--answers", whole, "--annotations", Path.Combine(dir, "v2_mscoco_val2014_annotations.json"),
                    "--questions", Path.Combine(dir, "v2_OpenEnded_mscoco_val2014_questions.json"), "--json");
        Assert.True(s.Code == 0, s.Err);
        Assert.Equal(accuracy, JsonNode.Parse(s.Out)!["accuracy"]!.GetValue<double>());

        // Two shards merged = one run (byte for byte but answer ids and measured times); shard 0 answers one
        // question at a time and shard 1 three at a time, so this also shows a batch answers as the questions alone.
        string s0 = data.P("vqav2", "2_0.jsonl"), s1 = data.P("vqav2", "2_1.jsonl"), merged = data.P("vqav2", "merge.jsonl");
        Assert.Equal(0, Run(Vqav2(s1, "--shard", "1/2", "--batch-size", "3")).Code);
        Assert.Equal(0, Run(Vqav2(s0, "--shard", "0/2", "--batch-size", "1")).Code);
        Assert.Equal(Comparable(whole).Take(6), Comparable(s0)); // batch 1 against batches of 4
        var m = Run("eval", "merge", "--out", merged, s1, s0);
        Assert.True(m.Code == 0, m.Err);
        Assert.Equal(Comparable(whole), Comparable(merged));

        // Stopped after 5 answers, in the middle of the 6th line: the rerun repairs and finishes the same file.
        string resumed = data.P("vqav2", "resumed.jsonl");
        var lines = File.ReadAllLines(whole);
        File.WriteAllText(resumed, string.Concat(lines.Take(5).Select(l => l + "\n")) + lines[5][..40]);
        var again = Run(Vqav2(resumed, "--batch-size", "4"));
        Assert.True(again.Code == 0, again.Err);
        Assert.Contains("resumed after 5", again.Err);
        Assert.Equal(Comparable(whole), Comparable(resumed));
    }

    [Theory]
    [InlineData("vqav2")]
    [InlineData("gqa")]
    [InlineData("pope")]
    public void ScoresAgreeWithEvalData_OnTheSameQuestions(string benchmark)
    {
        string dir = data.P(benchmark);
        string answers = Path.Combine(dir, "answers.jsonl");
        string[] files = benchmark switch
        {
            "vqav2" => ["--questions", Path.Combine(dir, "llava_vqav2_mscoco_val2014.jsonl"), "--annotations", Path.Combine(dir, "v2_mscoco_val2014_annotations.json")],
            "gqa" => ["--questions", Path.Combine(dir, "llava_gqa_testdev_balanced.jsonl"), "--annotations", Path.Combine(dir, "testdev_balanced_questions.json")],
            _ => ["--questions", Path.Combine(dir, "llava_pope_test.jsonl"), "--annotations", Path.Combine(dir, "coco")],
        };
        var r = Run(["eval", "--benchmark", benchmark, "--images", Path.Combine(dir, "images"), "--answers", answers, "--batch-size", "4", "--json", .. files]);
        Assert.True(r.Code == 0, r.Err);
        var score = JsonNode.Parse(r.Out)!;

        string predictions = Path.Combine(dir, "eval-data.jsonl");
        var e = Run("eval", "--data", Path.Combine(dir, "data.json"), "--batch-size", "4", "--max-new-tokens", "128", "--predictions", predictions, "--json");
        Assert.True(e.Code == 0, e.Err);
        var report = JsonNode.Parse(e.Out)!;
        // The same question about the same image got the same answer from both.
        var evalData = File.ReadAllLines(predictions).Select(l => JsonNode.Parse(l)!)
            .ToDictionary(p => (p["id"]!.GetValue<string>().Split('_')[0] + ".png", p["question"]!.GetValue<string>()), p => p["prediction"]!.GetValue<string>());
        var images = File.ReadAllLines(files[1]).Select(l => JsonNode.Parse(l)!).ToDictionary(q => q["question_id"]!.ToJsonString(), q => q["image"]!.GetValue<string>());
        var lines = File.ReadAllLines(answers).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(evalData.Count, lines.Count);
        foreach (var line in lines)
            Assert.Equal(evalData[(images[line["question_id"]!.ToJsonString()], line["prompt"]!.GetValue<string>())], line["text"]!.GetValue<string>());

        if (benchmark != "pope") // VQAv2: the same ten reference answers in data.json, VQA accuracy on both sides
            Assert.Equal(report["accuracy"]!.GetValue<double>(), score["accuracy"]!.GetValue<double>(), 12);
        else
        {
            // eval --data pools the yes/no questions; POPE reports per split: pool the splits' counts back.
            var splits = score["splits"]!.AsObject().Select(kv => kv.Value!).ToList();
            int right = splits.Sum(x => x["tp"]!.GetValue<int>() + x["tn"]!.GetValue<int>());
            int all = splits.Sum(x => x["tp"]!.GetValue<int>() + x["tn"]!.GetValue<int>() + x["fp"]!.GetValue<int>() + x["fn"]!.GetValue<int>());
            Assert.Equal(report["accuracy"]!.GetValue<double>(), (double)right / all, 12);
            Assert.Equal(report["pope"]!["yes_ratio"]!.GetValue<double>(), splits.Sum(x => x["tp"]!.GetValue<int>() + x["fp"]!.GetValue<int>()) / (double)all, 12);
            ReportOf(r.Out);
        }
    }

    // The unpruned POPE score and one with LVPruning at rho 0.6, laid out as the paper's Table 2.
    private void ReportOf(string unprunedScore)
    {
        string scores = data.P("scores");
        Directory.CreateDirectory(scores);
        File.WriteAllText(Path.Combine(scores, "pope-none.json"), unprunedScore);
        string dir = data.P("pope");
        var r = Run("eval", "--benchmark", "pope", "--questions", Path.Combine(dir, "llava_pope_test.jsonl"), "--images", Path.Combine(dir, "images"),
                    "--answers", Path.Combine(dir, "rho06.jsonl"), "--annotations", Path.Combine(dir, "coco"), "--batch-size", "6", "--json",
                    "--adapter", Adapter, "--rho", "0.6");
        Assert.True(r.Code == 0, r.Err);
        File.WriteAllText(Path.Combine(scores, "pope-rho06.json"), r.Out);
        string md = data.P("table.md");
        var rep = Run("report", "--scores", scores, "--out", md);
        Assert.True(rep.Code == 0, rep.Err);
        string table = File.ReadAllText(md);
        Assert.Contains("| method | POPE rand | POPE pop | POPE adv |", table);
        Assert.Contains("| toy-llava |", table);
        Assert.Matches(@"\| LVPruning \(ρ=0\.6\) \| \d+\.\d \([+−]", table);
        Assert.True(new FileInfo(Path.ChangeExtension(md, ".png")).Length > 1000);
    }

    [Fact]
    public void AKilledRun_ResumesToTheSameFile()
    {
        string dir = data.P("pope");
        string[] args(string answers) =>
        [
            "eval", "--benchmark", "pope", "--questions", Path.Combine(dir, "llava_pope_test.jsonl"), "--images", Path.Combine(dir, "images"),
            "--answers", answers, "--batch-size", "1",
        ];
        string killed = Path.Combine(dir, "killed.jsonl"), whole = Path.Combine(dir, "unkilled.jsonl");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(typeof(CliApp).Assembly.Location);
        foreach (string a in args(killed)) start.ArgumentList.Add(a);
        using (var child = Process.Start(start)!)
        {
            var clock = Stopwatch.StartNew();
            // Killed as soon as its first answer is on disk (11 questions still to go at batch size 1).
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120) && !SharedText(killed).Contains('\n')) Thread.Sleep(2);
            if (child.HasExited) Assert.Fail("the child finished before it could be killed: " + child.StandardError.ReadToEnd());
            int seen = SharedText(killed).Count(c => c == '\n');
            child.Kill(); // SIGKILL to the one process (`dotnet app.dll` runs the app in it); killing a tree first walks /proc
            child.WaitForExit();
            int answeredBefore = File.ReadAllLines(killed).Length;
            Assert.True(answeredBefore is >= 1 and <= 11, $"{answeredBefore} lines after the kill, {seen} when it was decided, after {clock.ElapsedMilliseconds} ms");
        }
        var resumed = Run(args(killed));
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Equal(0, Run(args(whole)).Code);
        Assert.Equal(Comparable(whole), Comparable(killed));
    }
}
