using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Shared;

namespace CityLoop.Server.Tests.Desks;

/// <summary>
/// The case timeline reads in words in both languages: every event kind the transition table can produce and every
/// note, every field an action carries into its event, every phase of the clock's notes and every principal — never an
/// internal name (BackgroundWorker), a payload key (phase, signForDueAt) or Chinese on the English page.
/// </summary>
public sealed partial class TimelineTextTests
{
    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex Han();

    static T In<T>(string culture, Func<T> read)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
        try { return read(); }
        finally { CultureInfo.CurrentUICulture = before; }
    }

    /// <summary>A text in both languages: Chinese has Chinese in it, English none, and neither is the raw code.</summary>
    static void InWords(string code, Func<string> text)
    {
        var zh = In("zh-CN", text);
        var en = In("en", text);
        Assert.True(Han().IsMatch(zh), $"'{code}' in Chinese reads '{zh}'");
        Assert.False(Han().IsMatch(en), $"'{code}' in English reads '{en}'");
        Assert.NotEqual(code, en);
        Assert.DoesNotMatch("[a-z][A-Z]", en); // no camelCase key or PascalCase enum name left in the sentence
    }

    static readonly TimelineText Text = new(code => $"Dept {code}", key => $"Category {key}", (code, _, _) => $"Item {code}",
        new Dictionary<string, string> { [Guid.Empty.ToString()] = "Li Ming" }, at => at?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "—");

    static object? Sample(FieldKind kind) => kind switch
    {
        FieldKind.Boolean => true,
        FieldKind.Departments => new[] { "CGJ", "SZJ" },
        FieldKind.DateTime => DateTimeOffset.Parse("2026-05-01T08:00:00Z", CultureInfo.InvariantCulture),
        FieldKind.Satisfaction => "satisfied",
        FieldKind.User => Guid.Empty.ToString(),
        _ => "X1",
    };

    static EventDto Event(string action, object payload, bool system = false, string? role = "shift-leader") =>
        new(1, action, "handling", "handling", system ? "时限监控" : "Li Ming", system, role, null, DateTimeOffset.UnixEpoch, null,
            JsonSerializer.SerializeToElement(payload));

    [Fact]
    public void EveryActionOfTheTransitionTable_AndEveryNote_HasANameInBothLanguages()
    {
        foreach (var action in Enum.GetValues<CaseAction>()) InWords(action.Name(), () => Labels.Action(action.Name()));
        foreach (var note in TimelineText.ClockNotes.Concat(["create", "attach", "merged-in", "notify", "emergency-transfer", "knowledge-used",
                     "citizen-rating", "follow-up-scheduled", "follow-up-reviewed", "deadlines-recomputed", "supervision-order", "reporter-erased"]))
        {
            Assert.True(Labels.HasNote(note), note);
            InWords(note, () => Labels.Action(note));
        }
    }

    [Fact]
    public void EveryFieldAnActionCarries_IsShownUnderItsNameInWords_WithItsValueInTheReadersLanguage()
    {
        // The opinion and reason are the event's own text; attachments are the case's photos.
        string[] ownText = ["opinion", "reason", "attachmentIds", "platform"];
        var fields = TransitionTable.All.SelectMany(t => t.Fields).Where(f => !ownText.Contains(f.Name)).DistinctBy(f => f.Name).ToList();
        Assert.NotEmpty(fields);
        foreach (var field in fields)
        {
            Assert.Contains(field.Name, TimelineText.Fields);
            var e = Event("x", new Dictionary<string, object?> { [field.Name] = Sample(field.Kind) });
            foreach (var culture in new[] { "zh-CN", "en" })
            {
                var line = In(culture, () => Assert.Single(Text.Lines(e)));
                Assert.Equal(In(culture, () => Labels.Field(field.Name)), line.Label);
                Assert.False(string.IsNullOrWhiteSpace(line.Text), field.Name);
                if (culture == "en") Assert.False(Han().IsMatch(line.Text), $"{field.Name}: {line.Text}");
            }
            InWords(field.Name, () => Labels.Field(field.Name));
        }
        // Every payload field the timeline shows has its name in words, not only the actions' own.
        foreach (var name in TimelineText.Fields) InWords(name, () => Labels.Field(name));
    }

    [Fact]
    public void TheClocksNotes_AreSentences_ForEveryPhase_InBothLanguages()
    {
        foreach (var phase in Enum.GetValues<CasePhase>())
        foreach (var (note, kind, level) in new[] { ("overdue", (string?)null, 0), ("overdue-cleared", null, 0), ("remind", "warn", 0), ("remind", "due", 0), ("escalate", "escalate", 2) })
        {
            var e = Event(note, new { phase = Kebab.From(phase.ToString()), kind, level = level > 0 ? level : (int?)null, dueAt = DateTimeOffset.UnixEpoch, recipients = 3 }, system: true, role: "background-worker");
            var zh = In("zh-CN", () => Assert.Single(Text.Lines(e)));
            var en = In("en", () => Assert.Single(Text.Lines(e)));
            Assert.Null(zh.Label);
            Assert.Null(en.Label);
            Assert.Contains(In("zh-CN", () => Labels.Phase(Kebab.From(phase.ToString()))), zh.Text);
            Assert.False(Han().IsMatch(en.Text), en.Text);
            Assert.DoesNotContain("phase:", en.Text);
        }
    }

    [Fact]
    public void EveryPrincipal_IsNamedInWords_AndTheSystemsOwnStepsSaySo()
    {
        foreach (var role in Enum.GetValues<Role>()) InWords(role.ToKebab(), () => Labels.Role(role));
        var clock = Event("overdue", new { phase = "handling" }, system: true, role: "background-worker");
        Assert.Equal("Deadline clock", In("en", () => TimelineText.Actor(clock, "system:clock")));
        Assert.Equal("时限监控", In("zh-CN", () => TimelineText.Actor(clock, "system:clock")));
        Assert.Equal("System", In("en", () => TimelineText.RoleNote(clock)));
        Assert.Equal("系统", In("zh-CN", () => TimelineText.RoleNote(clock)));
        foreach (var id in new[] { "system:follow-up", "system:portal", "system:portal-follow-up", "system:retention", "import:tipdm" })
            Assert.False(Han().IsMatch(In("en", () => TimelineText.Actor(clock, id))), id);
        // A person is their name, with their role in words.
        var person = Event("file", new { }, role: "shift-leader");
        Assert.Equal("Li Ming", TimelineText.Actor(person, "u-1"));
        Assert.Equal("Shift leader", In("en", () => TimelineText.RoleNote(person)));
    }
}
