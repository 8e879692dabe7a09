namespace CityLoop.Domain.Catalogue;

/// <summary>
/// A problem with one CSV row. <see cref="Row"/> is the 1-based line number as a spreadsheet shows it
/// (header = row 1, first data row = row 2); <see cref="File"/> is set when several files are combined.
/// </summary>
public sealed record CsvRowError(int Row, string Field, string Reason, string? File = null)
{
    public override string ToString() =>
        $"{(File is null ? "" : File + ", ")}row {Row}, {Field}: {Reason}";
}

/// <summary>Outcome of parsing a CSV file: every valid row is kept, every invalid row is reported.</summary>
public sealed record CsvParseResult<T>(IReadOnlyList<T> Rows, IReadOnlyList<CsvRowError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}
