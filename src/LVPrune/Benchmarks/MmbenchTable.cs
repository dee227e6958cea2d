namespace LVPrune.Benchmarks;

/// <summary>One row of an MMBench TSV, read as LLaVA and VLMEvalKit read it.</summary>
/// <param name="Index">The "index" column (circular copies are index + k * 1,000,000).</param>
/// <param name="Question">The question text.</param>
/// <param name="Hint">The hint, or null when pandas reads it as missing or LLaVA's is_none says so.</param>
/// <param name="PromptOptions">The options LLaVA asks with: A, B, C, D up to the first missing one, or the first whose text is "nan" / "none" in any case.</param>
/// <param name="Choices">The options VLMEvalKit matches against: every one of A-D pandas does not read as missing, as <c>str(value)</c>.</param>
/// <param name="Answer">The answer letter, or null for the test split.</param>
/// <param name="Line">The TSV line the row starts on.</param>
public sealed record MmbenchRow(long Index, string Question, string? Hint, IReadOnlyList<string> PromptOptions,
                                IReadOnlyList<(string Letter, string Text)> Choices, string? Answer, int Line, int RowNumber);

/// <summary>
/// An MMBench TSV (mmbench_dev_20230712.tsv, mmbench_dev_cn_20231003.tsv, or a test split): columns
/// index, question, hint, A, B, C, D, answer, category, image (base64), source, l2-category, comment,
/// split; read with <see cref="PandasTsv"/>. Images stay in the table and are decoded on demand; an
/// image field that is a short number refers to another row's image (VLMEvalKit's compressed TSVs).
/// </summary>
public sealed class MmbenchTable
{
    private static readonly string[] Letters = ["A", "B", "C", "D"];
    private readonly PandasTsv _tsv;
    private readonly Dictionary<long, int> _rowOfIndex = [];

    private MmbenchTable(PandasTsv tsv, List<MmbenchRow> rows)
    {
        _tsv = tsv;
        Rows = rows;
        for (int i = 0; i < rows.Count; i++) _rowOfIndex.TryAdd(rows[i].Index, i);
    }

    public string Path => _tsv.Path;
    public IReadOnlyList<MmbenchRow> Rows { get; }
    public bool HasAnswers => _tsv.HasColumn("answer");

    public static MmbenchTable Read(string path)
    {
        var tsv = PandasTsv.Read(path);
        foreach (string column in new[] { "index", "question", "A", "B", "image" })
            if (!tsv.HasColumn(column))
                throw new LVPruneException($"{path} line 1: no \"{column}\" column; an MMBench TSV has index, question, hint, A, B, C, D, answer, category, image, ... (a question file of another benchmark?)");
        var rows = new List<MmbenchRow>();
        for (int r = 0; r < tsv.Rows.Count; r++)
        {
            string where = $"{path} line {tsv.RowLines[r]}";
            long index = tsv.Integer(r, "index") ?? throw new LVPruneException($"{where}: \"index\" is not an integer (a malformed row?)");
            string question = tsv.Raw(r, "question") is null ? "nan" : tsv.Text(r, "question");
            if (tsv.Raw(r, "image") is null) throw new LVPruneException($"{where}: the image field is empty (a malformed row?)");
            string? hint = tsv.HasColumn("hint") && tsv.Raw(r, "hint") is not null && !IsNoneText(tsv.Text(r, "hint")) ? tsv.Text(r, "hint") : null;
            var promptOptions = new List<string>();
            foreach (string letter in Letters)
            {
                if (!tsv.HasColumn(letter) || tsv.Raw(r, letter) is null || IsNoneText(tsv.Text(r, letter))) break;
                promptOptions.Add(tsv.Text(r, letter));
            }
            var choices = Letters.Where(l => tsv.HasColumn(l) && tsv.Raw(r, l) is not null).Select(l => (l, tsv.Text(r, l))).ToList();
            string? answer = tsv.HasColumn("answer") ? tsv.Text(r, "answer") : null;
            rows.Add(new MmbenchRow(index, question, hint, promptOptions, choices, answer, tsv.RowLines[r], r));
        }
        if (rows.Count == 0) throw new LVPruneException($"{path}: no rows");
        return new MmbenchTable(tsv, rows);
    }

    // model_vqa_mmbench.py is_none for strings: 'nan' or 'none' in any case.
    private static bool IsNoneText(string text) => text.ToLowerInvariant() is "nan" or "none";

    /// <summary>The decoded bytes of a row's image (base64; a short number refers to that row's image).</summary>
    public byte[] ImageBytes(MmbenchRow row)
    {
        string field = _tsv.Raw(row.RowNumber, "image")!;
        for (int hops = 0; field.Length < 64 && long.TryParse(field, out long other) && hops < 4; hops++)
        {
            if (!_rowOfIndex.TryGetValue(other, out int target))
                throw new LVPruneException($"{Path} line {row.Line}: the image refers to row index {other}, which is not in the file");
            field = _tsv.Raw(Rows[target].RowNumber, "image") ?? "";
        }
        try { return Convert.FromBase64String(field); }
        catch (FormatException) { throw new LVPruneException($"{Path} line {row.Line}: the image field is not base64 (a malformed row?)"); }
    }
}
