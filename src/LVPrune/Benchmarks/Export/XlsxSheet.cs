using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace LVPrune.Benchmarks.Export;

/// <summary>
/// A one-sheet workbook ("Sheet1", as pandas' to_excel names it) written and read with the Open XML
/// SDK. A cell holds a string, an integer, a double, a bool or nothing (null: an empty cell, pandas' NaN).
/// </summary>
public static class XlsxSheet
{
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        AtomicFile.Write(path, tmp =>
        {
            using var doc = SpreadsheetDocument.Create(tmp, SpreadsheetDocumentType.Workbook);
            var workbook = doc.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            sheetPart.Worksheet = new Worksheet(data);
            workbook.Workbook.AppendChild(new Sheets()).AppendChild(new Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = 1, Name = "Sheet1" });
            uint r = 1;
            data.Append(Row(r++, header.Cast<object?>().ToList()));
            foreach (var row in rows) data.Append(Row(r++, row));
        });
    }

    /// <summary>Reads the first sheet back: the header and each row's cells (strings, numbers as double, bools; null when empty).</summary>
    public static (List<string> Header, List<object?[]> Rows) Read(string path)
    {
        using var doc = SpreadsheetDocument.Open(path, false);
        var workbook = doc.WorkbookPart ?? throw new LVPruneException($"{path}: not a workbook");
        var sheet = workbook.Workbook.Sheets?.Elements<Sheet>().FirstOrDefault() ?? throw new LVPruneException($"{path}: no sheet");
        var part = (WorksheetPart)workbook.GetPartById(sheet.Id!);
        var shared = workbook.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToList();
        var rows = part.Worksheet.Descendants<Row>().Select(row =>
        {
            var cells = new SortedDictionary<int, object?>();
            foreach (var c in row.Elements<Cell>()) cells[Column(c.CellReference!.Value!)] = Value(c, shared);
            int n = cells.Count == 0 ? 0 : cells.Keys.Max() + 1;
            var values = new object?[n];
            foreach (var (k, v) in cells) values[k] = v;
            return values;
        }).ToList();
        if (rows.Count == 0) return ([], []);
        return (rows[0].Select(v => v?.ToString() ?? "").ToList(), rows.Skip(1).ToList());
    }

    private static Row Row(uint index, IReadOnlyList<object?> values)
    {
        var row = new Row { RowIndex = index };
        for (int c = 0; c < values.Count; c++)
        {
            string reference = ColumnName(c) + index;
            Cell? cell = values[c] switch
            {
                null => null,
                string s => new Cell { CellReference = reference, DataType = CellValues.InlineString, InlineString = new InlineString(new DocumentFormat.OpenXml.Spreadsheet.Text(s) { Space = SpaceProcessingModeValues.Preserve }) },
                bool b => new Cell { CellReference = reference, DataType = CellValues.Boolean, CellValue = new CellValue(b) },
                long l => new Cell { CellReference = reference, CellValue = new CellValue(l.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
                int i => new Cell { CellReference = reference, CellValue = new CellValue(i) },
                double d => new Cell { CellReference = reference, CellValue = new CellValue(d) },
                var other => throw new ArgumentException($"cannot write a {other.GetType().Name} to a cell"),
            };
            if (cell is not null) row.Append(cell);
        }
        return row;
    }

    private static object? Value(Cell c, List<string>? shared)
    {
        if (c.DataType?.Value == CellValues.InlineString) return c.InlineString?.InnerText ?? "";
        if (c.DataType?.Value == CellValues.SharedString) return shared![int.Parse(c.CellValue!.Text, System.Globalization.CultureInfo.InvariantCulture)];
        if (c.DataType?.Value == CellValues.String) return c.CellValue?.Text ?? "";
        if (c.DataType?.Value == CellValues.Boolean) return c.CellValue?.Text == "1";
        return c.CellValue is { } v ? double.Parse(v.Text, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static string ColumnName(int index)
    {
        string name = "";
        for (int n = index + 1; n > 0; n = (n - 1) / 26) name = (char)('A' + (n - 1) % 26) + name;
        return name;
    }

    private static int Column(string reference)
    {
        int n = 0;
        foreach (char ch in reference.TakeWhile(char.IsLetter)) n = n * 26 + (ch - 'A' + 1);
        return n - 1;
    }
}
