using System.Net;
using System.Text.RegularExpressions;
using CityLoop.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CityLoop.Server.Tests.Desks;

/// <summary>
/// Every page speaks English when the user chose it. The pages localise inline, the Chinese text first and the English
/// beside it (<c>Ui.L("…", "…")</c>, <c>Pick("…", "…")</c>, or a ("…", "…") pair in a list of labels); a source scan of every
/// Razor view and page model finds Chinese anywhere else — a heading, label, button or message typed in one language.
/// </summary>
public sealed partial class EnglishChromeSourceTests
{
    [GeneratedRegex(@"[\u3400-\u9FFF\uF900-\uFAFF]")]
    private static partial Regex Han();

    // A C# string literal: interpolated (holes may hold one level of quoted strings), verbatim or plain.
    const string Literal = """(?:\$"(?:[^"\\{\n]|\\.|\{\{|\{(?:[^{}"\n]|"(?:[^"\\\n]|\\.)*")*\})*"|@"(?:[^"]|"")*"|"(?:[^"\\\n]|\\.)*")""";

    /// <summary>The first argument of the localiser: Chinese by construction, its English is the second argument.</summary>
    [GeneratedRegex(@"(\b(?:L|Pick)\(\s*)(" + Literal + ")")]
    private static partial Regex LocaliserCall();

    /// <summary>A literal followed by another: a (Chinese, English) pair when the first has Chinese and the second none.</summary>
    [GeneratedRegex("(" + Literal + @")(?=\s*,\s*(" + Literal + "))")]
    private static partial Regex Pair();

    /// <summary>
    /// What may stay: the link to the Chinese page is named in Chinese on every layout (a language is offered in its own
    /// name), nothing else.
    /// </summary>
    static readonly (string File, string Text)[] Allowed =
    [
        ("Shared/_Layout.cshtml", ">中文<"),
        ("Portal/_PortalLayout.cshtml", ">中文<"),
        ("Inspector/_InspectorLayout.cshtml", ">中文<"),
    ];

    static string Blank(string s) => Regex.Replace(s, "[^\n]", " ");

    /// <summary>The lines of a source file that hold Chinese outside comments and the localiser's (Chinese, English) pairs.</summary>
    public static IEnumerable<(int Line, string Text)> Untranslated(string source)
    {
        var s = Regex.Replace(source, @"@\*.*?\*@|<!--.*?-->|/\*.*?\*/", m => Blank(m.Value), RegexOptions.Singleline);
        s = Regex.Replace(s, @"(^|[\s;{}])//[^\n]*", m => m.Groups[1].Value + Blank(m.Value[m.Groups[1].Value.Length..]), RegexOptions.Multiline);
        s = LocaliserCall().Replace(s, m => m.Groups[1].Value + Blank(m.Groups[2].Value));
        s = Pair().Replace(s, m => Han().IsMatch(m.Groups[1].Value) && !Han().IsMatch(m.Groups[3].Value) ? Blank(m.Groups[1].Value) : m.Groups[1].Value);
        var lines = s.Split('\n');
        var original = source.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (Han().IsMatch(lines[i])) yield return (i + 1, original[i].Trim());
    }

    static DirectoryInfo Features()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CityLoop.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return new DirectoryInfo(Path.Combine(dir.FullName, "src", "CityLoop.Server", "Features"));
    }

    [Fact]
    public void NoRazorViewOrPageModel_HoldsChineseOutsideTheLocaliser()
    {
        var features = Features();
        var files = features.EnumerateFiles("*.cshtml", SearchOption.AllDirectories)
            .Concat(features.EnumerateFiles("*.cshtml.cs", SearchOption.AllDirectories)).ToList();
        Assert.True(files.Count > 100, $"only {files.Count} views and page models found");
        var found = new List<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(features.FullName, file.FullName).Replace('\\', '/');
            foreach (var (line, text) in Untranslated(File.ReadAllText(file.FullName)))
                if (!Allowed.Any(a => a.File == relative && text.Contains(a.Text)))
                    found.Add($"{relative}:{line}: {text}");
        }
        Assert.True(found.Count == 0, "Chinese without its English:\n" + string.Join("\n", found));
    }

    /// <summary>The Chinese literals the system writes into a case's step (an opinion, reason or result of an <c>ActionInput</c>), holes as "X".</summary>
    static IEnumerable<(string File, string Text)> SystemWrittenTexts(DirectoryInfo features)
    {
        foreach (var file in features.EnumerateFiles("*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(features.FullName, file.FullName).Replace('\\', '/');
            if (relative.EndsWith(".cshtml.cs", StringComparison.Ordinal) || relative.StartsWith("Demo/", StringComparison.Ordinal)) continue;
            foreach (var line in File.ReadAllLines(file.FullName).Where(l => l.Contains("new ActionInput")))
                foreach (Match m in Regex.Matches(line, Literal))
                {
                    var literal = m.Value;
                    if (!Han().IsMatch(literal)) continue;
                    var text = literal.StartsWith('$') ? Regex.Replace(literal[2..^1], @"\{[^{}]*\}", "X") : literal[1..^1];
                    yield return (relative, text);
                }
        }
    }

    [Fact]
    public void EveryTextTheSystemWritesIntoACase_ReadsInEnglishOnTheTimeline()
    {
        var texts = SystemWrittenTexts(Features()).ToList();
        Assert.True(texts.Count >= 5, $"only {texts.Count} system-written texts found");
        var culture = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.GetCultureInfo("en");
        try
        {
            var untold = texts.Where(t => CityLoop.Server.Features.Cases.TimelineText.SystemText(t.Text) is not { } en || Han().IsMatch(en))
                .Select(t => $"{t.File}: {t.Text}").ToList();
            Assert.True(untold.Count == 0, "System-written text without its English on the timeline:\n" + string.Join("\n", untold));
            // The peer's own reason stays as the peer wrote it; the system's words around it are English.
            Assert.Equal("Recalled by 上级平台: 重复派发", CityLoop.Server.Features.Cases.TimelineText.SystemText("上级平台 撤回：重复派发"));
        }
        finally { System.Globalization.CultureInfo.CurrentUICulture = culture; }
        Assert.Equal("视频告警，请现场核实", CityLoop.Server.Features.Cases.TimelineText.SystemText("视频告警，请现场核实"));
    }

    [Fact]
    public void EveryMessageTemplate_HasItsEnglish_AndTheSystemsWordsInItHaveTheirs()
    {
        Assert.Equal(CityLoop.Server.Features.Notifications.Templates.Defaults.Keys.Order(), CityLoop.Server.Features.Notifications.Templates.English.Keys.Order());
        // The words the system puts into a message (phase, level, what to do, "not dispatched") carry their English twin.
        var fields = new Dictionary<string, string?>
        {
            ["number"] = "C1", ["title"] = "T", ["department"] = "未派遣", ["department@en"] = "not dispatched", ["dueAt"] = "2026-05-01 10:00",
            ["phase"] = "处置", ["phase@en"] = "handling", ["level"] = "部门负责人", ["level@en"] = "Department head", ["what"] = "待派遣", ["what@en"] = "waiting for dispatch",
            ["requirement"] = "R", ["link"] = "L",
        };
        foreach (var (key, template) in CityLoop.Server.Features.Notifications.Templates.English)
        {
            var text = CityLoop.Server.Features.Notifications.Templates.Fill(template, fields, english: true);
            Assert.DoesNotMatch(Han(), text);
            Assert.DoesNotContain("{", text);
        }
        var json = CityLoop.Server.Features.Notifications.NotificationText.Json(fields);
        Assert.StartsWith("[To do] Case C1 ", CityLoop.Server.Features.Notifications.NotificationText.English("act-now", json));
        // A message stored before messages kept their key reads as it was stored.
        Assert.Null(CityLoop.Server.Features.Notifications.NotificationText.English(null, null));
    }

    [Fact]
    public void TheScan_FindsChineseThatHasNoEnglish_AndPassesThePairs()
    {
        Assert.Empty(Untranslated("""<h1>@Ui.L("派遣责任空白", "Dispatch responsibility gaps")</h1>"""));
        Assert.Empty(Untranslated("""Message = Ui.Pick($"已保存为第 {v} 版", $"Saved as version {v}");"""));
        Assert.Empty(Untranslated("""var kinds = new[] { ("component", "部件", "Components") };"""));
        Assert.Empty(Untranslated("""<p>@Ui.L($"共 {string.Join("、", xs)} 处", $"{xs.Count} in all")</p>"""));
        Assert.Empty(Untranslated("@* 注释 *@\n// 注释\n<!-- 注释 -->"));
        Assert.Single(Untranslated("<h1>派遣责任空白</h1>"));
        Assert.Single(Untranslated("""<button type="submit">保存</button>"""));
        Assert.Single(Untranslated("""Message = $"已保存为目录第 {saved} 版";"""));
        Assert.Equal(2, Untranslated("""var kinds = new[] { ("component", "部件"),""" + "\n" + """("event", "事件") };""").Count());
        Assert.Equal(2, Untranslated("<label>区域编码</label>\n<p>x</p>\n<th>类别</th>").Count());
    }
}

/// <summary>The pages that were Chinese only, rendered in English for the system administrator: their chrome has no Chinese left.</summary>
public abstract partial class EnglishChromeTests<TApp>(TApp app) where TApp : AppFixture
{
    [GeneratedRegex(@"<(h1|h2|h3|label|button|th|legend)\b[^>]*>(.*?)</\1>", RegexOptions.Singleline)]
    private static partial Regex Chrome();

    [GeneratedRegex(@"[\u3400-\u9FFF]")]
    private static partial Regex Han();

    [Fact]
    public async Task NotificationsAndTheClocksSteps_InEnglish_AreEnglish()
    {
        // A case dispatched and left a month: the act-now notice and the clock's breach and escalations, told in English.
        app.Clock.Set(new DateTimeOffset(2026, 7, 6, 9, 0, 0, TimeSpan.FromHours(8)));
        var c = await Api.CreateCase(await app.As("agent"), Api.Report(phone: null));
        var id = c.Id();
        await Api.ActOk(await app.As("leader"), id, "file", new { standardItem = "C0101-01" });
        await Api.ActOk(await app.As("dispatcher"), id, "dispatch", new { leadDepartment = "SZGLC" });
        app.Clock.Set(new DateTimeOffset(2026, 8, 6, 9, 0, 0, TimeSpan.FromHours(8)));
        string department;
        using (var scope = app.Factory.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<CityLoop.Server.Features.Clocks.ClockSweeper>().SweepAsync();
            var db = scope.ServiceProvider.GetRequiredService<CityLoop.Server.Data.CityLoopDb>();
            department = db.Departments.Where(d => d.Code == "SZGLC").Select(d => d.Name).Single();
        }

        var head = await app.As("depthead");
        var detail = await Api.Get(head, $"/api/v1/cases/{id}");
        var number = detail.Str("number");
        var data = new[] { detail.Str("title"), detail.Str("description"), department };
        string WithoutData(string text) => data.Where(d => !string.IsNullOrEmpty(d)).Aggregate(text, (t, d) => t.Replace(d, ""));

        var html = await head.GetStringAsync("/Notifications?culture=en&ui-culture=en");
        var cells = Regex.Matches(html, "<td>(.*?)</td>", RegexOptions.Singleline).Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value.Trim()))
            .Where(t => t.Contains(number)).ToList();
        var message = Assert.Single(cells);
        Assert.StartsWith($"[Escalated] Case {number}", message);
        Assert.DoesNotMatch(Han(), WithoutData(message));
        var byKind = await head.GetStringAsync("/Notifications?by=kind&culture=en&ui-culture=en");
        Assert.Contains(">Escalated<", byKind);

        // The timeline tells the clock's steps and the system's own words in English.
        var page = await head.GetStringAsync($"/Cases/{id}?culture=en&ui-culture=en");
        var timeline = page[page.IndexOf("id=\"timeline\"", StringComparison.Ordinal)..];
        timeline = timeline[..timeline.IndexOf("</ol>", StringComparison.Ordinal)];
        // The clock's own steps (the deadline clock acting, its notes and messages): no Chinese left.
        var clockSteps = Regex.Matches(timeline, "<li data-action=\"(overdue|remind|escalate|notify)\">(.*?)</li>", RegexOptions.Singleline)
            .Select(m => System.Net.WebUtility.HtmlDecode(Regex.Replace(Regex.Replace(m.Groups[2].Value, "<[^>]+>", " "), @"\s+", " ")).Trim()).ToList();
        Assert.True(clockSteps.Count >= 5, string.Join(" | ", clockSteps));
        Assert.Contains(clockSteps, t => t.Contains("escalated to level 3"));
        var chinese = clockSteps.Where(t => Han().IsMatch(WithoutData(t))).ToList();
        Assert.True(chinese.Count == 0, string.Join(" | ", chinese));
    }

    [Theory]
    [InlineData("/admin/reference/routing-gaps", "Dispatch responsibility gaps")]
    [InlineData("/admin/reference/categories", "Case categories and filing conditions")]
    [InlineData("/admin/reference/imports", "Reference data import")]
    [InlineData("/admin/reference/places", "Places")]
    [InlineData("/admin/calendars", "Calendars")]
    public async Task AdminPage_InEnglish_HasNoChineseChrome(string path, string heading)
    {
        var admin = await app.As("admin");
        var response = await admin.GetAsync(path + "?culture=en&ui-culture=en");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches($"<h1[^>]*>{Regex.Escape(heading)}", html);
        // Headings, labels, buttons, legends and table heads: what the page says, not the data it lists (the names of
        // streets, categories and platforms in cells and in the options of a list).
        var withoutLists = Regex.Replace(html, "<select\\b.*?</select>", "", RegexOptions.Singleline);
        var chrome = Chrome().Matches(withoutLists).Select(m => Regex.Replace(m.Groups[2].Value, "<[^>]+>", "").Trim()).Where(t => t.Length > 0).ToList();
        Assert.NotEmpty(chrome);
        var chinese = chrome.Where(t => Han().IsMatch(t)).ToList();
        Assert.True(chinese.Count == 0, path + ": " + string.Join(" | ", chinese));
    }
}

[Collection("sqlite")]
public sealed class EnglishChromeTests_Sqlite(SqliteApp app) : EnglishChromeTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class EnglishChromeTests_Postgres(PostgresApp app) : EnglishChromeTests<PostgresApp>(app), IClassFixture<PostgresApp>;
