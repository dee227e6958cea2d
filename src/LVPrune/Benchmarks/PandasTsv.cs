using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LVPrune.Py;

namespace LVPrune.Benchmarks;

/// <summary>
/// A tab-separated file read as <c>pandas.read_table(path)</c> reads it, which is how LLaVA's
/// model_vqa_mmbench.py, its MMBench converter and VLMEvalKit read the MMBench TSVs:
/// <list type="bullet">
/// <item>the C tokenizer: '\t' separates, '"' quotes a field only when it opens the field ("" inside is a
/// quote; after the closing quote, text up to the next tab is appended); blank lines are skipped; a row
/// with more fields than the header is an error;</item>
/// <item>pandas' default missing values: "", "NaN", "nan", "NA", "N/A", "n/a", "NULL", "null", "None",
/// "&lt;NA&gt;", "#N/A", "#NA", "-NaN", "-nan", "1.#IND", "1.#QNAN", "-1.#IND", "-1.#QNAN", "#N/A N/A"
/// (so an option "None" is missing, like an empty one);</item>
/// <item>column types: a column whose present values are all integers is int64 (float64 when some are
/// missing, so 3 becomes "3.0"), all numbers float64, all True/False bool; <see cref="Text"/> gives
/// <c>str(value)</c> of the parsed value, as VLMEvalKit's <c>str(item[ch])</c> does.</item>
/// </list>
/// </summary>
public sealed partial class PandasTsv
{
    private static readonly HashSet<string> NaValues = new(StringComparer.Ordinal)
    {
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    };

    private enum ColumnKind { Object, Int, Float, Bool }

    private readonly Dictionary<string, int> _columnIndex;
    private readonly ColumnKind[] _kinds;

    private PandasTsv(string path, string[] header, List<string?[]> rows, List<int> rowLines)
    {
        Path = path;
        Header = header;
        Rows = rows;
        RowLines = rowLines;
        _columnIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++) _columnIndex.TryAdd(header[i], i);
        _kinds = Enumerable.Range(0, header.Length).Select(c => Infer(rows.Select(r => r[c]))).ToArray();
    }

    public string Path { get; }
    public IReadOnlyList<string> Header { get; }
    /// <summary>Each row's raw field texts; null where pandas reads a missing value.</summary>
    public IReadOnlyList<string?[]> Rows { get; }
    /// <summary>The 1-based file line each row starts on.</summary>
    public IReadOnlyList<int> RowLines { get; }

    public bool HasColumn(string name) => _columnIndex.ContainsKey(name);

    /// <summary>The raw text of a field, or null when pandas reads it as missing (NaN).</summary>
    public string? Raw(int row, string column) => _columnIndex.TryGetValue(column, out int c) ? Rows[row][c] : null;

    /// <summary><c>str(value)</c> of the parsed field ("nan" when missing), after pandas' column typing.</summary>
    public string Text(int row, string column)
    {
        if (!_columnIndex.TryGetValue(column, out int c)) throw new LVPruneException($"{Path}: no column \"{column}\"");
        string? raw = Rows[row][c];
        return raw is null ? "nan" : Format(raw, _kinds[c]);
    }

    /// <summary>
    /// <c>str(x)</c> of each value of a column pandas reads from these texts (missing-value texts and null
    /// become "nan"; an all-number column becomes numbers): what a string column looks like after
    /// a round trip through a spreadsheet and <c>pandas.read_excel</c>.
    /// </summary>
    public static IReadOnlyList<string> StrColumn(IReadOnlyList<string?> texts)
    {
        var present = texts.Select(t => t is null || NaValues.Contains(t) ? null : t).ToList();
        var kind = Infer(present);
        return present.Select(v => v is null ? "nan" : Format(v, kind)).ToList();
    }

    private static string Format(string raw, ColumnKind kind) => kind switch
    {
        ColumnKind.Int => BigIntegerText(raw),
        ColumnKind.Float => PyFloat.Repr(ParseFloat(raw)),
        ColumnKind.Bool => IsTrue(raw) ? "True" : "False",
        _ => raw,
    };

    /// <summary>True when the column is numeric or boolean (LLaVA's prompt code would fail on such options).</summary>
    public bool IsTextColumn(string column) => !_columnIndex.TryGetValue(column, out int c) || _kinds[c] == ColumnKind.Object;

    /// <summary>A field parsed as an integer (for the index column).</summary>
    public long? Integer(int row, string column)
    {
        string? raw = Raw(row, column);
        if (raw is null) return null;
        if (long.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return v;
        if (double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && Math.Floor(d) == d && Math.Abs(d) < 9e18) return (long)d;
        return null;
    }

    public static PandasTsv Read(string path)
    {
        if (!File.Exists(path)) throw new LVPruneException($"{path}: TSV file not found");
        string text;
        try { text = File.ReadAllText(path, Encoding.UTF8); }
        catch (IOException e) { throw new LVPruneException($"{path}: cannot read: {e.Message}"); }
        var records = Tokenize(text, path);
        if (records.Count == 0) throw new LVPruneException($"{path}: empty TSV (no header row)");
        var header = records[0].Fields.ToArray();
        var rows = new List<string?[]>();
        var lines = new List<int>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count > header.Length)
                throw new LVPruneException($"{path} line {line}: {fields.Count} fields, but the header has {header.Length} columns (a malformed row)");
            var row = new string?[header.Length];
            for (int c = 0; c < header.Length; c++)
                row[c] = c < fields.Count && !NaValues.Contains(fields[c]) ? fields[c] : null;
            rows.Add(row);
            lines.Add(line);
        }
        return new PandasTsv(path, header, rows, lines);
    }

    // The pandas C tokenizer for sep='\t', quotechar='"', doublequote, skip_blank_lines.
    private static List<(int Line, List<string> Fields)> Tokenize(string text, string path)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        bool inQuotes = false, fieldStarted = false, quoted = false;
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : '\n';
            bool atEnd = i == text.Length;
            if (inQuotes && !atEnd)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else inQuotes = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            if (inQuotes && atEnd) throw new LVPruneException($"{path} line {recordLine}: a quoted field is never closed (EOF inside a string)");
            if (c == '\t')
            {
                fields.Add(field.ToString());
                field.Clear();
                fieldStarted = true;
                quoted = false;
            }
            else if (c == '\n' || c == '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                bool blank = fields.Count == 0 && field.Length == 0 && !quoted;
                if (!blank || fieldStarted)
                {
                    fields.Add(field.ToString());
                    records.Add((recordLine, fields));
                }
                fields = [];
                field.Clear();
                fieldStarted = false;
                quoted = false;
                line++;
                recordLine = line;
            }
            else if (c == '"' && field.Length == 0 && !quoted)
            {
                inQuotes = true;
                quoted = true;
            }
            else field.Append(c);
        }
        return records;
    }

    private static ColumnKind Infer(IEnumerable<string?> values)
    {
        bool any = false, missing = false, allInt = true, allNumber = true, allBool = true;
        foreach (string? v in values)
        {
            if (v is null) { missing = true; continue; }
            any = true;
            if (allInt && !IntPattern().IsMatch(v)) allInt = false;
            if (allNumber && !IsNumber(v)) allNumber = false;
            if (allBool && !IsTrue(v) && !IsFalse(v)) allBool = false;
        }
        if (!any) return ColumnKind.Float; // an all-missing column is float64 NaN
        if (allInt) return missing ? ColumnKind.Float : ColumnKind.Int;
        if (allNumber) return ColumnKind.Float;
        if (allBool) return ColumnKind.Bool; // with missing values an object column of True / False / NaN
        return ColumnKind.Object;
    }

    private static bool IsTrue(string v) => v is "True" or "TRUE" or "true";
    private static bool IsFalse(string v) => v is "False" or "FALSE" or "false";

    private static bool IsNumber(string v) => FloatPattern().IsMatch(v) || v.Trim().ToLowerInvariant() is "inf" or "+inf" or "-inf" or "infinity" or "+infinity" or "-infinity";

    private static double ParseFloat(string v)
    {
        string t = v.Trim().ToLowerInvariant();
        if (t is "inf" or "+inf" or "infinity" or "+infinity") return double.PositiveInfinity;
        if (t is "-inf" or "-infinity") return double.NegativeInfinity;
        return double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static string BigIntegerText(string v) =>
        System.Numerics.BigInteger.Parse(v.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s*[+-]?[0-9]+\s*$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$")]
    private static partial Regex FloatPattern();
}
