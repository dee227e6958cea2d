using System.Text.Json;
using LVPrune.Evaluation;

namespace LVPrune.Tests.Evaluation;

public class EvalReportTests
{
    private static EvalReport Sample()
    {
        var accumulator = new EvalAccumulator();
        accumulator.Add("vqav2", "Two", ["2", "2", "2", "2", "two", "3", "3", "3", "3", "3"], isYesNo: false); // 1
        accumulator.Add("vqav2", "red", ["blue", "red", "blue", "blue", "blue", "blue", "blue", "blue", "blue", "blue"], false); // 0.3
        accumulator.Add("gqa", "the table", ["table"], false);                   // 1
        accumulator.Add("pope_random", "Yes, there is.", ["yes"], true);         // TP -> 1
        accumulator.Add("pope_random", "No, there is not.", ["yes"], true);      // FN -> 0
        accumulator.Add("pope_random", "Yes", ["no"], true);                     // FP -> 0
        accumulator.Add("pope_random", "There is no cat.", ["no"], true);        // TN -> 1
        return accumulator.ToReport();
    }

    [Fact]
    public void AccumulatorAveragesOverallAndPerFamily()
    {
        var report = Sample();
        Assert.Equal(7, report.Count);
        Assert.Equal((1 + 0.3 + 1 + 1 + 0 + 0 + 1) / 7, report.Accuracy, 12);
        Assert.Equal(0.65, report.Families["vqav2"], 12);
        Assert.Equal(1.0, report.Families["gqa"], 12);
        Assert.Equal(0.5, report.Families["pope_random"], 12);
        Assert.NotNull(report.Pope);
        Assert.Equal(0.5, report.Pope.Precision, 12); // TP 1, FP 1
        Assert.Equal(0.5, report.Pope.Recall, 12);    // TP 1, FN 1
        Assert.Equal(0.5, report.Pope.YesRatio, 12);
        Assert.Equal(4, report.Pope.Count);
    }

    [Fact]
    public void JsonHasExactlyTheDocumentedFields()
    {
        using var json = JsonDocument.Parse(Sample().ToJson());
        var root = json.RootElement;
        Assert.Equal(["accuracy", "families", "pope", "count"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["gqa", "pope_random", "vqav2"], root.GetProperty("families").EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.65, root.GetProperty("families").GetProperty("vqav2").GetDouble(), 12);
        Assert.Equal(["precision", "recall", "f1", "yes_ratio"], root.GetProperty("pope").EnumerateObject().Select(p => p.Name));
        Assert.Equal(7, root.GetProperty("count").GetInt32());
    }

    [Fact]
    public void PopeIsNullWithoutYesNoItems()
    {
        var accumulator = new EvalAccumulator();
        accumulator.Add("gqa", "table", ["table"], false);
        var report = accumulator.ToReport();
        Assert.Null(report.Pope);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("pope").ValueKind);
    }

    [Fact]
    public void BadItemsAreUserErrors()
    {
        var accumulator = new EvalAccumulator();
        Assert.Throws<LVPruneException>(() => accumulator.Add("pope", "yes", ["maybe"], true));
        Assert.Throws<LVPruneException>(() => accumulator.Add("pope", "yes", ["yes", "no"], true));
        Assert.Throws<LVPruneException>(() => accumulator.Add("", "yes", ["yes"], false));
        Assert.Throws<LVPruneException>(() => accumulator.ToReport());
        Assert.Equal(0, accumulator.Count);
    }

    [Fact]
    public void SaveWritesTheJsonAndLeavesNoTemporaryFile()
    {
        string dir = Path.Combine(Path.GetTempPath(), "lvprune-eval-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var report = Sample();
            string path = Path.Combine(dir, "report.json");
            report.Save(path);
            Assert.Equal(report.ToJson() + "\n", File.ReadAllText(path));
            Assert.Equal([path], Directory.GetFiles(dir));
            // A folder that cannot exist (its parent is a file) is a user error naming the path.
            var error = Assert.Throws<LVPruneException>(() => report.Save(Path.Combine(path, "report.json")));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
