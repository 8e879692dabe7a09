using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace CityLoop.Server.Features.Reference;

/// <summary>One worksheet as text: each row with its 1-based spreadsheet row number.</summary>
public sealed record XlsxSheet(string Name, IReadOnlyList<(int Row, IReadOnlyList<string> Cells)> Rows);

/// <summary>Minimal .xlsx reading and writing (text cells only) on DocumentFormat.OpenXml.</summary>
public static class Xlsx
{
    public static byte[] Write(IEnumerable<(string Name, IReadOnlyList<string> Header, IEnumerable<IReadOnlyList<string?>> Rows)> sheets)
    {
        using var stream = new MemoryStream();
        using (var doc = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = doc.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var list = workbook.Workbook.AppendChild(new Sheets());
            uint id = 1;
            foreach (var (name, header, rows) in sheets)
            {
                var part = workbook.AddNewPart<WorksheetPart>();
                var data = new SheetData();
                part.Worksheet = new Worksheet(data);
                uint r = 1;
                foreach (var values in rows.Prepend(header))
                {
                    var row = new Row { RowIndex = r };
                    for (var c = 0; c < values.Count; c++)
                        if (values[c] is { Length: > 0 } v)
                            // Inline strings keep codes like 0101 as text: Excel would turn a number into 101.
                            row.Append(new Cell { CellReference = Column(c) + r, DataType = CellValues.InlineString, InlineString = new InlineString(new Text(v)) });
                    data.Append(row);
                    r++;
                }
                list.Append(new Sheet { Id = workbook.GetIdOfPart(part), SheetId = id++, Name = name });
            }
            workbook.Workbook.Save();
        }
        return stream.ToArray();
    }

    /// <summary>All sheets; throws <see cref="InvalidDataException"/> when the stream is not a workbook.</summary>
    public static IReadOnlyList<XlsxSheet> Read(Stream stream)
    {
        SpreadsheetDocument doc;
        try
        {
            doc = SpreadsheetDocument.Open(stream, false);
        }
        catch (Exception ex) when (ex is OpenXmlPackageException or FileFormatException or IOException)
        {
            throw new InvalidDataException("The file is not an .xlsx workbook: " + ex.Message, ex);
        }
        using (doc)
        {
            var workbook = doc.WorkbookPart ?? throw new InvalidDataException("The workbook has no sheets.");
            var shared = workbook.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToList() ?? [];
            var result = new List<XlsxSheet>();
            foreach (var sheet in workbook.Workbook.Sheets?.Elements<Sheet>() ?? [])
            {
                var part = (WorksheetPart)workbook.GetPartById(sheet.Id!.Value!);
                var rows = new List<(int, IReadOnlyList<string>)>();
                foreach (var row in part.Worksheet.Descendants<Row>())
                {
                    var cells = new List<string>();
                    foreach (var cell in row.Elements<Cell>())
                    {
                        var col = cell.CellReference?.Value is { } reference ? ColumnIndex(reference) : cells.Count;
                        while (cells.Count < col) cells.Add("");
                        cells.Add(Value(cell, shared));
                    }
                    if (cells.Any(c => c.Length > 0)) rows.Add(((int)(row.RowIndex?.Value ?? (uint)rows.Count + 1), cells));
                }
                result.Add(new XlsxSheet(sheet.Name?.Value ?? "", rows));
            }
            return result;
        }
    }

    static string Value(Cell cell, List<string> shared)
    {
        if (cell.DataType?.Value == CellValues.SharedString && int.TryParse(cell.CellValue?.Text, out var i) && i < shared.Count) return shared[i];
        if (cell.DataType?.Value == CellValues.InlineString) return cell.InlineString?.InnerText ?? "";
        return cell.CellValue?.Text ?? "";
    }

    static string Column(int index)
    {
        var name = "";
        for (index++; index > 0; index = (index - 1) / 26) name = (char)('A' + (index - 1) % 26) + name;
        return name;
    }

    static int ColumnIndex(string reference)
    {
        var n = 0;
        foreach (var ch in reference.TakeWhile(char.IsLetter)) n = n * 26 + (char.ToUpperInvariant(ch) - 'A' + 1);
        return n - 1;
    }
}
