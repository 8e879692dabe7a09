using CityLoop.Domain.Clock;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Server.Tests.Reference.Formats;

public class HolidayCsvTests
{
    [Fact]
    public void LoadEmbeddedChina_ParsesAllRowsWithoutErrors()
    {
        var result = HolidayCsv.LoadEmbeddedChina();
        Assert.Empty(result.Errors);
        Assert.Equal(110, result.Exceptions.Count);
        Assert.Contains(result.Exceptions, e => e.Date == new DateOnly(2026, 1, 4) && e.Kind == CalendarExceptionKind.MakeUpWorkday);
        Assert.Contains(result.Exceptions, e => e.Date == new DateOnly(2025, 10, 8) && e.Kind == CalendarExceptionKind.Holiday && e.Name.Contains("中秋"));
    }

    [Fact]
    public void Parse_BadRows_CollectsRowFieldAndReasonAndKeepsGoodRows()
    {
        const string csv = """
            date,kind,name
            2025-10-01,holiday,国庆节
            2025-13-01,holiday,bad month
            2025-10-02,vacation,国庆节
            2025-10-03,holiday,
            2025-10-01,holiday,duplicate
            2025-10-09,workday,Thursday make-up
            2025-10-11,workday,"国庆节调休上班"
            too,many,fields,here
            # a comment

            """;
        var result = HolidayCsv.Parse(new StringReader(csv));

        Assert.Equal([new DateOnly(2025, 10, 1), new DateOnly(2025, 10, 11)], result.Exceptions.Select(e => e.Date));
        Assert.Equal(
            [(3, "date"), (4, "kind"), (5, "name"), (6, "date"), (7, "kind"), (9, "row")],
            result.Errors.Select(e => (e.Row, e.Field)));
        Assert.Contains("already listed on row 2", result.Errors[3].Reason);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Parse_MissingHeader_ReportsRowOne()
    {
        var result = HolidayCsv.Parse(new StringReader("2025-10-01,holiday,国庆节\n"));
        Assert.Empty(result.Exceptions);
        Assert.Equal((1, "row"), (result.Errors.Single().Row, result.Errors.Single().Field));
    }

    [Fact]
    public void Parse_UnterminatedQuote_RejectsOnlyThatLine()
    {
        var result = HolidayCsv.Parse(new StringReader("date,kind,name\n2025-10-01,holiday,\"国庆节\n2025-10-02,holiday,国庆节\n"));
        Assert.Equal([new DateOnly(2025, 10, 2)], result.Exceptions.Select(e => e.Date));
        Assert.Equal((2, "row"), (result.Errors.Single().Row, result.Errors.Single().Field));
    }
}
