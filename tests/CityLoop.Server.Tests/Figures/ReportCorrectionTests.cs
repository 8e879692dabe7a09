using System.Text.Json;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests.Figures;

/// <summary>
/// An archived report is fixed at its cut-off; an event recorded after it on a case of its period is carried into the
/// next report as a listed correction (the figure as published and as it stands), on both databases.
/// </summary>
public abstract class ReportCorrectionTests<TApp>(TApp app) where TApp : AppFixture
{
    static DateTimeOffset At(int month, int day, int hour) => new(2026, month, day, hour, 0, 0, TimeSpan.FromHours(8));

    static JsonElement Figure(JsonElement report, string id) => report.GetProperty("figures").EnumerateArray().Single(f => f.Str("id") == id);

    [Fact]
    public async Task ALateCloseAfterTheCutOff_LeavesTheArchivedReport_AndIsListedInTheNextOne()
    {
        // October: two enquiries received; one answered at once, the other still open when October's report is archived.
        app.Clock.Set(At(10, 12, 9));
        var agent = await app.As("agent");
        var answered = (await Api.CreateCase(agent, Api.Report("咨询办事时间", requestType: "enquiry", phone: null))).Id();
        await Api.ActOk(agent, answered, "answer-directly", new { answer = "工作日 9:00–17:00" });
        var late = await Api.CreateCase(agent, Api.Report("咨询停车政策", requestType: "enquiry", phone: null));

        app.Clock.Set(At(11, 2, 10));
        var supervisor = await app.As("supervisor");
        var october = await Api.Get(supervisor, "/api/v1/reports/monthly?period=2026-10&platform=451202");
        Assert.False(october.GetProperty("provisional").GetBoolean());
        var published = Figure(october, "completion-rate");
        Assert.Equal((1, 2), (published.GetProperty("numerator").GetInt64(), published.GetProperty("denominator").GetInt64()));

        // 3 November: the October enquiry is answered — a late close of a case of October.
        app.Clock.Set(At(11, 3, 10));
        agent = await app.As("agent");
        await Api.ActOk(agent, late.Id(), "answer-directly", new { answer = "按物价局规定收费" });

        // October's report stays as archived.
        app.Clock.Set(At(12, 1, 10));
        supervisor = await app.As("supervisor");
        var again = Figure(await Api.Get(supervisor, "/api/v1/reports/monthly?period=2026-10&platform=451202"), "completion-rate");
        Assert.Equal((1, 2), (again.GetProperty("numerator").GetInt64(), again.GetProperty("denominator").GetInt64()));

        // November's report lists the correction: the event, and October's 办结率 published 50 % → now 100 %.
        var november = await Api.Get(supervisor, "/api/v1/reports/monthly?period=2026-11&platform=451202");
        var correction = Assert.Single(november.GetProperty("corrections").EnumerateArray());
        Assert.Equal("2026-10", correction.Str("periodKey"));
        var events = correction.GetProperty("events").EnumerateArray().ToList();
        Assert.True(events.All(e => e.Str("number") == late.Str("number")), correction.GetProperty("events").ToString());
        Assert.Contains(events, e => e.Str("action") == "answer-directly");
        var figure = correction.GetProperty("figures").EnumerateArray().Single(f => f.Str("id") == "completion-rate");
        Assert.Equal((50.00m, 100.00m), (figure.GetProperty("published").GetDecimal(), figure.GetProperty("corrected").GetDecimal()));
        Assert.Equal((2L, 2L), (figure.GetProperty("numerator").GetInt64(), figure.GetProperty("denominator").GetInt64()));
        Assert.Equal(1, figure.GetProperty("publishedNumerator").GetInt64());

        // The page and the PDF's source show the section; a later report does not carry the same event twice.
        var html = await (await supervisor.GetAsync("/reports?kind=monthly&period=2026-11")).Content.ReadAsStringAsync();
        Assert.Contains("对以前各期的更正", html);
        Assert.Contains(late.Str("number"), html);
        app.Clock.Set(At(12, 2, 10));
        // December (provisional) comes after November's report, which carried the event: nothing to correct again.
        var december = await Api.Get(await app.As("supervisor"), "/api/v1/reports/monthly?period=2026-12&platform=451202");
        Assert.True(december.GetProperty("provisional").GetBoolean());
        Assert.Equal(0, december.GetProperty("corrections").GetArrayLength());
    }
}

[Collection("sqlite")]
public sealed class ReportCorrectionTests_Sqlite(SqliteApp app) : ReportCorrectionTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class ReportCorrectionTests_Postgres(PostgresApp app) : ReportCorrectionTests<PostgresApp>(app), IClassFixture<PostgresApp>;
