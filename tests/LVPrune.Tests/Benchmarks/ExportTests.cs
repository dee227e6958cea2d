using LVPrune.Benchmarks;
using LVPrune.Benchmarks.Export;

namespace LVPrune.Tests.Benchmarks;

/// <summary>The submission files LLaVA's converters write (checked byte for byte against them on other files during development).</summary>
public class ExportTests
{
    [Fact]
    public void MmbenchSheet_HasLlavasColumns_AndReadsBack()
    {
        using var f = new BenchFiles();
        string tsv = f.Text("dev.tsv", "index\tquestion\thint\tA\tB\tC\tD\tanswer\tcategory\timage\tsource\tl2-category\tcomment\tsplit\n"
            + "1\tWhich?\tnan\tcat\tdog\t\t\tA\tc\tiVBORw0KGgo=\ts\tl\tnan\tdev\n"
            + "1000001\tWhich?\tnan\tdog\tcat\t\t\tB\tc\tiVBORw0KGgo=\ts\tl\tnan\tdev\n"
            + "2\tHow many?\tCount.\t3\t4\t5\t\tC\tc\tiVBORw0KGgo=\ts\tl\tnan\tdev\n");
        string answers = f.Lines("a.jsonl", BenchFiles.Answer(1, "A"), BenchFiles.Answer(2, "É ✓"));
        string xlsx = f.Path_("out.xlsx");
        BenchmarkExport.Write(Benchmark.Parse("mmbench"), answers, tsv, xlsx);
        var (header, rows) = XlsxSheet.Read(xlsx);
        Assert.Equal(["index", "question", "A", "B", "C", "D", "prediction", "answer", "split"], header);
        Assert.Equal(3, rows.Count);
        Assert.Equal(1.0, rows[0][0]);
        Assert.Equal("A", rows[0][6]);
        Assert.Null(rows[1].ElementAtOrDefault(6));     // no answer: an empty cell
        Assert.Equal("É ✓", rows[2][6]);
        Assert.Equal(5.0, rows[2][4]);                  // C is a number column with a missing value: float64, written as a number
        Assert.Null(rows[0].ElementAtOrDefault(5));     // D is empty everywhere
        Assert.Equal("dev", rows[2][8]);
    }

    [Fact]
    public void Vqav2Upload_CoversEveryQuestion_AsJsonDump()
    {
        using var f = new BenchFiles();
        string questions = f.Lines("q.jsonl", new { question_id = 5, image = "a.jpg", text = "q" }, new { question_id = 6, image = "b.jpg", text = "q" });
        string answers = f.Lines("a.jsonl", BenchFiles.Answer(5, "Two dogs."), "{bad");
        BenchmarkExport.Write(Benchmark.Parse("vqav2"), answers, questions, f.Path_("up.json"));
        Assert.Equal("[{\"question_id\": 5, \"answer\": \"2 dogs\"}, {\"question_id\": 6, \"answer\": \"\"}]", File.ReadAllText(f.Path_("up.json")));
        BenchmarkExport.Write(Benchmark.Parse("mmvet"), f.Lines("m.jsonl", BenchFiles.Answer(3, "x"), BenchFiles.Answer(1, "ü")), null, f.Path_("mmvet.json"));
        Assert.Equal("{\n  \"v1_3\": \"x\",\n  \"v1_1\": \"\\u00fc\"\n}", File.ReadAllText(f.Path_("mmvet.json")));
        Assert.Throws<LVPruneException>(() => BenchmarkExport.Write(Benchmark.Parse("textvqa"), answers, null, f.Path_("no.json")));
    }
}
