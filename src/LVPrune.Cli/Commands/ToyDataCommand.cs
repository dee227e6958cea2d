using System.CommandLine;
using LVPrune.Toy;

namespace LVPrune.Cli.Commands;

/// <summary>`lvprune toy-data`: writes a ShapesVQA data set (LLaVA conversation JSON + PNG images).</summary>
public static class ToyDataCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "output folder (data.json and images/)", Required = true };
        var count = new Option<int>("--count") { Description = "number of question-answer items", Required = true };
        var seed = new Option<int>("--seed") { Description = "random seed (same seed, same files)", DefaultValueFactory = _ => 0 };
        var objects = new Option<string>("--objects") { Description = "objects per scene, MIN-MAX", DefaultValueFactory = _ => "3-6" };
        var size = new Option<int>("--image-size") { Description = "rendered image side in pixels", DefaultValueFactory = _ => 192 };
        var perImage = new Option<int>("--questions-per-image") { Description = "questions asked about each scene", DefaultValueFactory = _ => 3 };
        var multiTurn = new Option<bool>("--multi-turn") { Description = "ask an image's questions as one multi-turn conversation" };
        var weights = new Option<string?>("--family-weights") { Description = "relative shares of the question families, e.g. exist=3,count=2 (others 1; 0 leaves one out)" };
        var order = new Option<string>("--family-order")
        {
            Description = "balanced: distinct families per image, the data set balanced as it goes; random: each question's family drawn "
                          + "independently (repeats allowed, up to 16 per image), so multi-turn turns do not give each other away",
            DefaultValueFactory = _ => "balanced",
        };
        order.AcceptOnlyFromAmong("balanced", "random");
        var format = new Option<string>("--format")
        {
            Description = "llava: data.json in LLaVA's conversation format (default); vqav2, gqa, pope: also the benchmark's own files "
                          + "(LLaVA's question jsonl and the official ground truth), as in LLaVA's playground/data/eval",
            DefaultValueFactory = _ => "llava",
        };
        format.AcceptOnlyFromAmong("llava", "vqav2", "gqa", "pope");
        var cmd = new Command("toy-data", "Generate ShapesVQA: synthetic scenes and questions in LLaVA's conversation format.")
        {
            output, count, seed, objects, size, perImage, multiTurn, weights, order, format,
        };
        cmd.SetAction(r =>
        {
            var (min, max) = ParseRange(r.GetValue(objects)!);
            if (r.GetValue(count) < 1) throw new LVPruneException($"--count must be >= 1, got {r.GetValue(count)}");
            if (r.GetValue(format) is { } f && f != "llava")
            {
                var written = ShapesVqaBenchmarkFiles.Write(r.GetValue(output)!, ShapesVqaBenchmarkFiles.ParseFormat(f), r.GetValue(count), r.GetValue(seed), min, max, r.GetValue(size));
                CliIO.Err.WriteLine(written.Describe());
                return 0;
            }
            var summary = ShapesVqaWriter.Write(r.GetValue(output)!, r.GetValue(count), r.GetValue(seed), min, max, r.GetValue(size),
                                                r.GetValue(perImage), r.GetValue(multiTurn),
                                                r.GetValue(weights) is { } w ? QuestionFamily.ParseWeights(w) : null,
                                                independentFamilies: r.GetValue(order) == "random");
            CliIO.Err.WriteLine(summary.Describe());
            return 0;
        });
        return cmd;
    }

    public static (int Min, int Max) ParseRange(string text)
    {
        var parts = text.Split('-');
        if (parts.Length == 1 && int.TryParse(parts[0], out int single)) return (single, single);
        if (parts.Length != 2 || !int.TryParse(parts[0], out int min) || !int.TryParse(parts[1], out int max))
            throw new LVPruneException($"--objects '{text}' is not a range MIN-MAX such as 3-6");
        return (min, max);
    }
}
