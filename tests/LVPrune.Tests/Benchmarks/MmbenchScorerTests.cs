using LVPrune.Benchmarks;
using LVPrune.Benchmarks.Scoring;

namespace LVPrune.Tests.Benchmarks;

/// <summary>MMBench: pandas' reading of the TSV, the xlsx round trip of predictions, VLMEvalKit's exact matching and circular groups.</summary>
public class MmbenchScorerTests
{
    private static readonly (string, string)[] CatDogBird = [("A", "cat"), ("B", "dog"), ("C", "bird")];

    [Theory]
    [InlineData("A", "A")]
    [InlineData("The answer is A", "A")]
    [InlineData("(B)", "B")]
    [InlineData("A is right because it purrs loudly", null)]     // A is word 0 of 7: not among the last four -> text: no option inside
    [InlineData("A B", null)]                                      // two letters
    [InlineData("Sorry, I can't help with images of people yet.", "Z")]
    [InlineData("Z", "Z")]
    [InlineData("It is a dog", "B")]                               // no letter word ("a" is lower case): option text
    [InlineData("a cat or a dog", null)]                           // two option texts
    [InlineData("Failed to obtain answer via API: cat", null)]     // no option reading; too long for the text reading
    [InlineData("nan", null)]
    [InlineData("the animal in this picture is clearly a small domestic cat sitting", null)] // longer than 2 x the options' 10 characters
    public void CanInfer_IsVlmEvalKitsExactMatching(string answer, string? expected) =>
        Assert.Equal(expected, MmbenchMatching.CanInfer(answer, CatDogBird));

    [Fact]
    public void CanInfer_AnApiFailureSkipsTheOptionReadingOnly() =>
        Assert.Equal("A", MmbenchMatching.CanInfer("Failed to obtain answer via API", [("A", "Failed to obtain"), ("B", "something else entirely here")]));

    [Fact]
    public void PandasTsv_QuotesMissingValuesAndNumericColumns()
    {
        using var f = new BenchFiles();
        string path = f.Text("t.tsv", "index\tq\tA\tB\n1\t\"say \"\"hi\"\"\tx\"\tNone\t3\n2\tplain \"q\"\tNA\t\n3\tok\tred\t4\n");
        var t = PandasTsv.Read(path);
        Assert.Equal("say \"hi\"\tx", t.Text(0, "q"));      // quoted: "" is a quote, the tab is data
        Assert.Equal("plain \"q\"", t.Text(1, "q"));        // a quote inside an unquoted field is data
        Assert.Null(t.Raw(0, "A"));                          // "None" and "NA" are missing (pandas 2)
        Assert.Null(t.Raw(1, "A"));
        Assert.Equal("3.0", t.Text(0, "B"));                 // an integer column with a missing value is float64
        Assert.Equal("nan", t.Text(1, "B"));
        var bad = f.Text("bad.tsv", "index\tq\n1\tx\n2\tx\textra\n");
        Assert.Contains("bad.tsv line 3", Assert.Throws<LVPruneException>(() => PandasTsv.Read(bad)).Message);
    }

    [Fact]
    public void Score_CircularGroupsNeedEveryRotation_VanillaCountsRows()
    {
        using var f = new BenchFiles();
        string header = "index\tquestion\thint\tA\tB\tC\tD\tanswer\tcategory\timage\tsource\tl2-category\tcomment\tsplit\n";
        string Row(long index, string a, string b, string c, string d, string answer, string hint = "nan") =>
            $"{index}\tWhich animal?\t{hint}\t{a}\t{b}\t{c}\t{d}\t{answer}\tcat\tiVBORw0KGgo=\ts\tl2\tnan\tdev\n";
        string tsv = f.Text("dev.tsv", header
            + Row(1, "cat", "dog", "bird", "", "A") + Row(1000001, "dog", "bird", "cat", "", "C") + Row(2000001, "bird", "cat", "dog", "", "B")
            + Row(2, "yes", "no", "None", "", "A") + Row(1000002, "no", "yes", "None", "", "B")
            + Row(3, "1", "2", "3", "4", "D", hint: "Count them."));
        string answers = f.Lines("answers.jsonl",
            BenchFiles.Answer(1, "A"), BenchFiles.Answer(1000001, "The answer is C"), BenchFiles.Answer(2000001, "cat"),
            BenchFiles.Answer(2, "A. yes"), BenchFiles.Answer(1000002, ""),      // "" -> xlsx -> NaN -> "nan": nothing matches
            BenchFiles.Answer(3, "I think it is D because A is wrong"));        // two letters, no option text
        var r = BenchmarkScorer.Score(Benchmark.Parse("mmbench"), answers, null, tsv);
        Assert.Equal(3, r.Count);
        Assert.Equal(1.0 / 3, r.Accuracy, 12);                                              // only group 1 has every rotation right
        Assert.Equal(2.0 / 3, r.Extra["vanilla_accuracy"]!.GetValue<double>(), 12);         // rows 1, 2, 3
        Assert.Equal(4.0 / 6, r.Extra["vanilla_accuracy_all_rows"]!.GetValue<double>(), 12);
        Assert.Equal(2, r.Extra["unresolved"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("=A", null)]    // openpyxl writes a formula; pandas reads no cached value
    [InlineData("=", "=")]
    [InlineData("A", "A")]
    public void ExcelRoundTrip_IsOpenpyxlThenPandas(string? text, string? expected) => Assert.Equal(expected, MmbenchScorer.ExcelRoundTrip(text));

    [Fact]
    public void StrColumn_ReadsMissingValueTextsAsNan()
    {
        Assert.Equal(["nan", "nan", "nan", "A", "nan"], PandasTsv.StrColumn(["NA", "None", null, "A", "null"]));
        Assert.Equal(["1.0", "nan"], PandasTsv.StrColumn(["1", null]));  // an all-number prediction column becomes float64
    }
}
