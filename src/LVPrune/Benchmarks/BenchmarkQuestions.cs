using System.Text.Json;
using LVPrune.Py;

namespace LVPrune.Benchmarks;

/// <summary>
/// Reads the question file each benchmark releases for LLaVA-1.5 and builds each question as LLaVA's
/// scripts do: VQA-style JSON lines (model_vqa_loader.py / model_vqa.py: the "text" is asked as it is,
/// suffix and OCR tokens included), llava_test_CQM-A.json for ScienceQA (model_vqa_science.py
/// --single-pred-prompt) and the MMBench TSV (model_vqa_mmbench.py --single-pred-prompt, one round).
/// A file that carries another benchmark's signature (POPE's categories, TextVQA's OCR line, VizWiz's
/// "Unanswerable" instruction, GQA's string ids, ...) is refused with the file and line at fault.
/// </summary>
public static class BenchmarkQuestions
{
    public const string ShortAnswer = "Answer the question using a single word or phrase.";
    public const string VizWizInstruction = "When the provided information is insufficient, respond with 'Unanswerable'.";
    public const string LetterAnswer = "Answer with the option's letter from the given choices directly.";
    public const string LetterAnswerCn = "请直接回答选项字母。";
    public const string OcrLine = "Reference OCR token: ";

    private static readonly string[] PopeSplits = ["adversarial", "popular", "random"];
    private static readonly string[] LlavaBenchCategories = ["conv", "detail", "complex"];

    public static IReadOnlyList<BenchmarkQuestion> Read(Benchmark benchmark, string path) => benchmark.Id switch
    {
        BenchmarkId.Sqa => ReadScienceQa(path),
        BenchmarkId.Mmbench or BenchmarkId.MmbenchCn => ReadMmbench(benchmark, MmbenchTable.Read(path)),
        _ => ReadJsonl(benchmark, path, validate: true),
    };

    /// <summary>A VQA-style question file: one {"question_id", "image", "text", "category"} per line.</summary>
    public static IReadOnlyList<BenchmarkQuestion> ReadJsonl(Benchmark benchmark, string path, bool validate)
    {
        var lines = JsonFiles.Lines(path, $"{benchmark.Title} question file");
        var questions = new List<BenchmarkQuestion>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            string where = $"{path} line {i + 1}";
            if (JsonFiles.TryParseLine(lines[i]) is not { ValueKind: JsonValueKind.Object } json)
                throw new LVPruneException($"{where}: not a JSON object; a {benchmark.Title} question file has one {{\"question_id\", \"image\", \"text\"}} per line"
                                           + (i == 0 && lines[i].TrimStart().StartsWith('[') ? " (a JSON list: ScienceQA's llava_test_CQM-A.json?)" : ""));
            var id = QuestionKey.From(JsonFiles.Require(json, "question_id", where))
                     ?? throw new LVPruneException($"{where}: \"question_id\" must be a string or a number");
            string text = JsonFiles.RequireString(json, "text", where);
            string image = JsonFiles.RequireString(json, "image", where);
            string? category = JsonFiles.Get(json, "category") is { ValueKind: JsonValueKind.String } c ? c.GetString() : null;
            if (validate && Mismatch(benchmark, id, text, category) is { } reason)
                throw new LVPruneException($"{where}: {reason}");
            questions.Add(new BenchmarkQuestion { Id = id, Line = i + 1, Text = text, Prompt = text, Image = image, Category = category });
        }
        if (questions.Count == 0) throw new LVPruneException($"{path}: no questions");
        return questions;
    }

    // Why a line does not look like this benchmark's (it names the benchmark it looks like), or null.
    private static string? Mismatch(Benchmark b, QuestionKey id, string text, string? category)
    {
        bool pope = category is not null && PopeSplits.Contains(category);
        bool ocr = text.Contains(OcrLine, StringComparison.Ordinal);
        bool vizwiz = text.Contains(VizWizInstruction, StringComparison.Ordinal);
        bool shortAnswer = text.EndsWith(ShortAnswer, StringComparison.Ordinal);
        string Looks(string other) => $"this is not a {b.Title} question ({other}); is it another benchmark's question file?";
        switch (b.Id)
        {
            case BenchmarkId.Pope:
                return pope ? null : Looks($"category {(category is null ? "missing" : $"'{category}'")}, not adversarial / popular / random as in llava_pope_test.jsonl");
            case BenchmarkId.TextVqa:
                return ocr ? (TextVqaLines(text) ? null : Looks("the text is not the question, the OCR line and the instruction on separate lines"))
                           : Looks("no \"Reference OCR token:\" line, as llava_textvqa_val_v051_ocr.jsonl has");
            case BenchmarkId.VizWiz:
                return vizwiz ? null : Looks("no \"respond with 'Unanswerable'\" instruction, as vizwiz/llava_test.jsonl has");
        }
        if (pope) return Looks($"category '{category}' is a POPE split");
        if (ocr) return Looks("it has TextVQA's \"Reference OCR token:\" line");
        if (vizwiz) return Looks("it has VizWiz's \"Unanswerable\" instruction");
        return b.Id switch
        {
            BenchmarkId.Gqa when !id.IsString => Looks($"question_id {id.Display} is a number; GQA's ids are strings"),
            BenchmarkId.VqaV2 when !id.IsInteger => Looks($"question_id {id.Display} is not an integer as VQAv2's are"),
            BenchmarkId.LlavaBench when category is null || !LlavaBenchCategories.Contains(category) => Looks($"category {(category is null ? "missing" : $"'{category}'")}, not conv / detail / complex"),
            BenchmarkId.LlavaBench or BenchmarkId.MmVet when shortAnswer => Looks("it ends with the short-answer instruction, which LLaVA-Bench and MM-Vet do not use"),
            BenchmarkId.MmVet when !id.IsInteger => Looks($"question_id {id.Display} is not an integer (MM-Vet's answers are keyed v1_N)"),
            _ => null,
        };
    }

    private static bool TextVqaLines(string text) => Scoring.TextVqaScorer.PromptQuestion(text) is not null;

    /// <summary>
    /// ScienceQA's llava_test_CQM-A.json: [{"id", ["image"], "conversations": [{"from": "human", "value"}, ...]}].
    /// model_vqa_science.py --single-pred-prompt: qs = value without "&lt;image&gt;", stripped, plus the letter
    /// instruction; the answer file's prompt is "&lt;image&gt;\n" + that for image questions.
    /// </summary>
    public static IReadOnlyList<BenchmarkQuestion> ReadScienceQa(string path)
    {
        string first = JsonFiles.Lines(path, "ScienceQA question file").FirstOrDefault(l => !string.IsNullOrWhiteSpace(l)) ?? "";
        if (!first.TrimStart().StartsWith('['))
            throw new LVPruneException($"{path} line 1: ScienceQA's question file (llava_test_CQM-A.json) is one JSON list; this is not (a question file of another benchmark?)");
        using var doc = JsonFiles.Load(path, "ScienceQA question file");
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new LVPruneException($"{path}: expected a JSON list of ScienceQA questions");
        var questions = new List<BenchmarkQuestion>();
        int index = 0;
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            string where = $"{path} item {index++} (id {(JsonFiles.Get(item, "id") is { } idValue ? idValue.ToString() : "?")})";
            var id = QuestionKey.From(JsonFiles.Require(item, "id", where)) ?? throw new LVPruneException($"{where}: bad \"id\"");
            var conversations = JsonFiles.Require(item, "conversations", where);
            if (conversations.ValueKind != JsonValueKind.Array || conversations.GetArrayLength() == 0)
                throw new LVPruneException($"{where}: \"conversations\" must be a non-empty list (is this LLaVA's llava_test_CQM-A.json?)");
            string value = JsonFiles.RequireString(conversations[0], "value", where + " conversations[0]");
            string qs = PyStr.Strip(value.Replace("<image>", "", StringComparison.Ordinal));
            string? image = JsonFiles.Get(item, "image") is { } im
                ? im.ValueKind == JsonValueKind.String ? im.GetString() : throw new LVPruneException($"{where}: \"image\" must be a string")
                : null;
            string text = qs + "\n" + LetterAnswer;
            questions.Add(new BenchmarkQuestion
            {
                Id = id, Line = index, Text = text, Prompt = image is null ? text : "<image>\n" + text, Image = image,
            });
        }
        if (questions.Count == 0) throw new LVPruneException($"{path}: no questions");
        return questions;
    }

    /// <summary>
    /// MMBench rows as model_vqa_mmbench.py --single-pred-prompt asks them (one round, no rotation):
    /// [hint + "\n"] + question + "\nA. o1\nB. o2...", then the letter instruction (Chinese for mmbench-cn);
    /// the answer file's prompt has no instruction.
    /// </summary>
    public static IReadOnlyList<BenchmarkQuestion> ReadMmbench(Benchmark benchmark, MmbenchTable table)
    {
        var questions = new List<BenchmarkQuestion>();
        foreach (var row in table.Rows)
        {
            string q = row.Hint is null ? row.Question : row.Hint + "\n" + row.Question;
            for (int k = 0; k < row.PromptOptions.Count; k++) q += "\n" + (char)('A' + k) + ". " + row.PromptOptions[k];
            string suffix = benchmark.Id == BenchmarkId.MmbenchCn ? LetterAnswerCn : LetterAnswer;
            questions.Add(new BenchmarkQuestion { Id = QuestionKey.OfInteger(row.Index), Line = row.Line, Text = q + "\n" + suffix, Prompt = q, Mmbench = row });
        }
        return questions;
    }
}
