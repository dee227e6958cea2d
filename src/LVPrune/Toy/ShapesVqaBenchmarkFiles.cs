using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LVPrune.Toy;

/// <summary>The benchmark file layouts `toy-data --format` can write ShapesVQA in.</summary>
public enum ToyBenchmarkFormat { Vqav2, Gqa, Pope }

/// <summary>
/// Writes a ShapesVQA set in a benchmark's own released files, laid out as LLaVA's
/// playground/data/eval/{vqav2,gqa,pope} folders, so the benchmark harness runs on the bundled model
/// with nothing downloaded. The set is first written as usual (<see cref="ShapesVqaWriter"/>: data.json and
/// images/), then re-expressed from data.json, so `eval --data data.json` asks the same questions.
/// The question texts carry no answer instruction: LLaVA's files append "\nAnswer the question using a
/// single word or phrase.", which the toy model was never taught (it answers "no" to everything after
/// it), so the toy files ask the bare question, exactly as data.json does.
/// <list type="bullet">
/// <item>vqav2: llava_vqav2_mscoco_val2014.jsonl (LLaVA's question file), v2_OpenEnded_mscoco_val2014_questions.json and v2_mscoco_val2014_annotations.json with
/// ten reference answers per question (most annotators give the answer, some a near miss, drawn from
/// the seed, so a right answer scores 0.6 to 1); data.json gets the same ten answers;</item>
/// <item>gqa: llava_gqa_testdev_balanced.jsonl (string ids) and testdev_balanced_questions.json with
/// GQA's fields (structural type verify / choose / query, semantic type, global group, operations);</item>
/// <item>pope: existence questions only; coco/coco_pope_{adversarial,popular,random}.json (labels,
/// ids from 1 per split, negatives drawn by that split's sampling of absent objects) and
/// llava_pope_test.jsonl (adversarial, then random from 10000001, then popular from 20000001).</item>
/// </list>
/// </summary>
public static class ShapesVqaBenchmarkFiles
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ToyBenchmarkFormat ParseFormat(string text) => text switch
    {
        "vqav2" => ToyBenchmarkFormat.Vqav2,
        "gqa" => ToyBenchmarkFormat.Gqa,
        "pope" => ToyBenchmarkFormat.Pope,
        _ => throw new LVPruneException($"--format '{text}': expected llava, vqav2, gqa or pope"),
    };

    /// <summary>Writes <paramref name="count"/> questions in <paramref name="format"/> under <paramref name="outDir"/>.</summary>
    public static ShapesVqaSummary Write(string outDir, ToyBenchmarkFormat format, int count, int seed, int minObjects, int maxObjects, int imageSize = 192)
    {
        var weights = format == ToyBenchmarkFormat.Pope
            ? QuestionFamily.All.ToDictionary(f => f, f => f == QuestionFamily.Exist ? 1.0 : 0.0)
            : null;
        var summary = ShapesVqaWriter.Write(outDir, count, seed, minObjects, maxObjects, imageSize,
                                            questionsPerImage: format == ToyBenchmarkFormat.Pope ? 1 : 3, familyWeights: weights);
        var entries = JsonNode.Parse(File.ReadAllText(summary.DataJsonPath))!.AsArray().Select(e => e!.AsObject()).ToList();
        try
        {
            switch (format)
            {
                case ToyBenchmarkFormat.Vqav2: WriteVqav2(outDir, entries, seed, summary.DataJsonPath); break;
                case ToyBenchmarkFormat.Gqa: WriteGqa(outDir, entries); break;
                default: WritePope(outDir, entries); break;
            }
        }
        catch (IOException e) { throw new LVPruneException($"{outDir}: cannot write the {format} files: {e.Message}", e); }
        return summary;
    }

    private static (string Question, string Answer, string Family, string Image, string? PopeSplit) Parts(JsonObject entry)
    {
        var turns = entry["conversations"]!.AsArray();
        string question = turns[0]!["value"]!.GetValue<string>().Replace(ShapesVqaVocabulary.ImageToken, "", StringComparison.Ordinal).Trim();
        string image = Path.GetFileName(entry["image"]!.GetValue<string>());
        return (question, turns[1]!["value"]!.GetValue<string>(), entry["family"]!.GetValue<string>(), image, entry["pope_split"]?.GetValue<string>());
    }

    private static int ImageNumber(string image) => int.Parse(Path.GetFileNameWithoutExtension(image), CultureInfo.InvariantCulture);

    private static JsonObject LlavaQuestion(JsonNode id, string image, string question, string category) => new()
    {
        ["question_id"] = id, ["image"] = image, ["text"] = question, ["category"] = category,
    };

    private static void WriteLines(string path, IEnumerable<JsonObject> lines) =>
        AtomicFile.WriteAllText(path, string.Concat(lines.Select(l => l.ToJsonString(Json) + "\n")));

    private static void WriteJson(string path, JsonNode node) => AtomicFile.WriteAllText(path, node.ToJsonString(Json));

    // ---- VQAv2 ----

    private static void WriteVqav2(string outDir, List<JsonObject> entries, int seed, string dataJson)
    {
        var llava = new List<JsonObject>();
        var questions = new JsonArray();
        var annotations = new JsonArray();
        for (int i = 0; i < entries.Count; i++)
        {
            var (question, answer, family, image, _) = Parts(entries[i]);
            int imageId = ImageNumber(image);
            string entryId = entries[i]["id"]!.GetValue<string>();
            long qid = imageId * 10L + (entryId.Contains('_') ? int.Parse(entryId[(entryId.IndexOf('_') + 1)..], CultureInfo.InvariantCulture) : 0);
            // Seeded from the seed and the question alone, the same in every process (HashCode.Combine is not: it is randomised per process).
            var answers = TenAnswers(answer, family, new Random(unchecked((int)(seed * 7_919L + qid * 104_729L + 17))));
            entries[i]["answers"] = new JsonArray(answers.Select(a => (JsonNode?)a).ToArray());
            llava.Add(LlavaQuestion(qid, image, question, "default"));
            questions.Add(new JsonObject { ["image_id"] = imageId, ["question"] = question, ["question_id"] = qid });
            annotations.Add(new JsonObject
            {
                ["question_type"] = QuestionType(question), ["multiple_choice_answer"] = answer,
                ["answers"] = new JsonArray(answers.Select((a, k) => (JsonNode?)new JsonObject
                {
                    ["answer"] = a, ["answer_confidence"] = a == answer ? "yes" : "maybe", ["answer_id"] = k + 1,
                }).ToArray()),
                ["image_id"] = imageId, ["answer_type"] = family switch { QuestionFamily.Exist => "yes/no", QuestionFamily.Count => "number", _ => "other" },
                ["question_id"] = qid,
            });
        }
        var info = new JsonObject { ["description"] = "ShapesVQA in VQAv2's format (LVPrune toy world)", ["version"] = "2.0" };
        WriteLines(Path.Combine(outDir, "llava_vqav2_mscoco_val2014.jsonl"), llava);
        WriteJson(Path.Combine(outDir, "v2_OpenEnded_mscoco_val2014_questions.json"), new JsonObject
        {
            ["info"] = info.DeepClone(), ["task_type"] = "Open-Ended", ["data_type"] = "mscoco", ["data_subtype"] = "val2014", ["license"] = new JsonObject(), ["questions"] = questions,
        });
        WriteJson(Path.Combine(outDir, "v2_mscoco_val2014_annotations.json"), new JsonObject
        {
            ["info"] = info.DeepClone(), ["license"] = new JsonObject(), ["data_type"] = "mscoco", ["data_subtype"] = "val2014", ["annotations"] = annotations,
        });
        WriteJson(dataJson, new JsonArray(entries.Select(e => (JsonNode?)e.DeepClone()).ToArray()));
    }

    // Ten annotators: usually most give the answer; 0-8 of them a near miss of the same family.
    private static List<string> TenAnswers(string answer, string family, Random rng)
    {
        int[] dissents = [0, 0, 0, 1, 1, 2, 3, 6, 8];
        int dissent = dissents[rng.Next(dissents.Length)];
        var alternatives = family switch
        {
            QuestionFamily.Color => ShapesVqaVocabulary.ColorWords,
            QuestionFamily.Shape => ShapesVqaVocabulary.ShapeWords,
            QuestionFamily.Size => ShapesVqaVocabulary.SizeWords,
            QuestionFamily.Count => ShapesVqaVocabulary.CountWords,
            QuestionFamily.Exist => [ShapesVqaVocabulary.Yes, ShapesVqaVocabulary.No],
            _ => [ShapesVqaVocabulary.Left, ShapesVqaVocabulary.Right, ShapesVqaVocabulary.Top, ShapesVqaVocabulary.Bottom],
        };
        var others = alternatives.Where(a => a != answer).ToArray();
        var list = Enumerable.Repeat(answer, 10).ToList();
        for (int k = 0; k < dissent && others.Length > 0; k++) list[k] = others[rng.Next(others.Length)];
        return list.OrderBy(_ => rng.Next()).ToList();
    }

    private static string QuestionType(string question)
    {
        var words = question.TrimEnd('?').ToLowerInvariant().Split(' ');
        return string.Join(' ', words.Take(words[0] == "what" ? 4 : 2));
    }

    // ---- GQA ----

    private static void WriteGqa(string outDir, List<JsonObject> entries)
    {
        var llava = new List<JsonObject>();
        var questions = new JsonObject();
        for (int i = 0; i < entries.Count; i++)
        {
            var (question, answer, family, image, _) = Parts(entries[i]);
            string qid = (20000000 + i).ToString(CultureInfo.InvariantCulture);
            var (structural, semantic, detailed, group, ops) = family switch
            {
                QuestionFamily.Exist => ("verify", "obj", "existAttr", (string?)null, new[] { ("select", "object"), ("filter color", "color"), ("exist", "?") }),
                QuestionFamily.Position => ("choose", "rel", "positionChoose", null, new[] { ("select", "object"), ("choose hposition", "left|right") }),
                QuestionFamily.Size => ("choose", "attr", "sizeChoose", null, new[] { ("select", "object"), ("choose size", "small|large") }),
                QuestionFamily.Color => ("query", "attr", "colorCommon", "color", new[] { ("select", "object"), ("query", "color") }),
                QuestionFamily.Shape => ("query", "cat", "categoryAttr", "shape", new[] { ("select", "object"), ("filter color", "color"), ("query", "name") }),
                _ => ("query", "obj", "countAttr", "count", new[] { ("select", "object"), ("filter color", "color"), ("count", "?") }),
            };
            llava.Add(LlavaQuestion(qid, image, question, "default"));
            questions[qid] = new JsonObject
            {
                ["semantic"] = new JsonArray(ops.Select(o => (JsonNode?)new JsonObject { ["operation"] = o.Item1, ["dependencies"] = new JsonArray(), ["argument"] = o.Item2 }).ToArray()),
                ["entailed"] = new JsonArray(), ["equivalent"] = new JsonArray(qid), ["question"] = question,
                ["imageId"] = Path.GetFileNameWithoutExtension(image), ["isBalanced"] = true,
                ["groups"] = new JsonObject { ["global"] = group, ["local"] = $"{family}-{answer}" },
                ["answer"] = answer,
                ["semanticStr"] = string.Join(" ", ops.Select(o => $"{o.Item1}: {o.Item2} ->")),
                ["annotations"] = new JsonObject { ["answer"] = new JsonObject(), ["question"] = new JsonObject(), ["fullAnswer"] = new JsonObject() },
                ["types"] = new JsonObject { ["detailed"] = detailed, ["semantic"] = semantic, ["structural"] = structural },
                ["fullAnswer"] = answer,
            };
        }
        WriteLines(Path.Combine(outDir, "llava_gqa_testdev_balanced.jsonl"), llava);
        WriteJson(Path.Combine(outDir, "testdev_balanced_questions.json"), questions);
    }

    // ---- POPE ----

    private static readonly (string Split, long Offset)[] PopeOrder = [(PopeSplit.Adversarial, 0), (PopeSplit.Random, 10000000), (PopeSplit.Popular, 20000000)];

    private static void WritePope(string outDir, List<JsonObject> entries)
    {
        var parts = entries.Select(Parts).Where(p => p.PopeSplit is not null).ToList();
        var llava = new List<JsonObject>();
        Directory.CreateDirectory(Path.Combine(outDir, "coco"));
        foreach (var (split, offset) in PopeOrder)
        {
            var labels = new List<JsonObject>();
            foreach (var p in parts.Where(p => p.PopeSplit == split))
            {
                int k = labels.Count + 1;
                labels.Add(new JsonObject { ["question_id"] = k, ["image"] = p.Image, ["text"] = p.Question, ["label"] = p.Answer });
                llava.Add(LlavaQuestion(offset + k, p.Image, p.Question, split));
            }
            WriteLines(Path.Combine(outDir, "coco", $"coco_pope_{split}.json"), labels);
        }
        WriteLines(Path.Combine(outDir, "llava_pope_test.jsonl"), llava);
    }
}
