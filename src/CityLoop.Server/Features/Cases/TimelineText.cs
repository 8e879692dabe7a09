using System.Text.Json;
using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Server.Features.Shared;
using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Cases;

/// <summary>
/// The case timeline in words, in the reader's language: who acted (people by name, the system's own steps by what
/// they are — the deadline clock, the follow-up rules, the citizen portal — never an internal principal), and what an
/// event's payload says, each field under its name in words and its value as a name (departments, categories, standard
/// items, people, phases, local times), the clock's notes as one sentence.
/// </summary>
public sealed class TimelineText(
    Func<string?, string> department,
    Func<string?, string> category,
    Func<string?, StandardKind, string?, string> standard,
    IReadOnlyDictionary<string, string> people,
    Func<DateTimeOffset?, string> time,
    Func<string?, string>? platform = null)
{
    static readonly string HandOver = CaseAction.HandOver.Name();

    /// <summary>The payload fields the timeline shows, in this order; the others (ids, versions, counters) are not for reading.</summary>
    public static readonly string[] Fields =
    [
        "answer", "result", "leadDepartment", "assistingDepartments", "team", "assignee", "inspector", "categoryCode", "standardItem", "target", "targetCase",
        "confirmed", "contacted", "resolved", "satisfaction", "comment", "requestedDueAt", "handlingDueAt", "signForDueAt", "dueAt", "previousDueAt",
        "department", "upheld", "method", "caseNumber", "mergedBy", "outcome", "article", "service", "onTime", "reworkCount", "reopenedCount",
    ];

    /// <summary>Notes of the clock worker, told as one sentence rather than as their fields.</summary>
    public static readonly string[] ClockNotes = ["overdue", "overdue-cleared", "remind", "escalate"];

    /// <summary>What an event says beyond its opinion: lines with a label in words (null for a whole sentence) and a value.</summary>
    public IEnumerable<(string? Label, string Text)> Lines(EventDto e)
    {
        if (e.Payload is not { ValueKind: JsonValueKind.Object } payload) yield break;
        // A hand-over between centres names the platforms it went from and to.
        if (e.Action == HandOver)
        {
            foreach (var (name, label) in new[] { ("from", "handedFrom"), ("to", "handedTo") })
                if (payload.TryGetProperty(name, out var code) && code.ValueKind == JsonValueKind.String)
                    yield return (Labels.Field(label), platform?.Invoke(code.GetString()) ?? code.GetString()!);
            yield break;
        }
        if (ClockNotes.Contains(e.Action))
        {
            if (ClockSentence(e.Action, payload, time) is { } sentence) yield return (null, sentence);
            yield break;
        }
        foreach (var name in Fields)
        {
            if (!payload.TryGetProperty(name, out var v) || v.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) continue;
            var text = name switch
            {
                "leadDepartment" or "department" or "team" => department(v.GetString()),
                "categoryCode" => category(v.GetString()),
                "standardItem" => standard(v.GetString(), e.Action == "close" ? StandardKind.Closing : StandardKind.Filing,
                    payload.TryGetProperty("categoryCode", out var cat) && cat.ValueKind == JsonValueKind.String ? cat.GetString() : null),
                "assignee" or "inspector" => people.GetValueOrDefault(v.GetString() ?? "", Pick("（已删除的用户）", "(removed user)")),
                "upheld" => v.ValueKind == JsonValueKind.True ? Pick("退单成立", "upheld") : Pick("退单不成立", "not upheld"),
                "method" or "outcome" => Labels.Status(v.GetString() ?? ""),
                "assistingDepartments" => v.ValueKind == JsonValueKind.Array ? string.Join(Pick("、", ", "), v.EnumerateArray().Select(x => department(x.GetString()))) : "",
                "confirmed" or "contacted" or "resolved" or "onTime" => v.ValueKind == JsonValueKind.True ? Pick("是", "yes") : Pick("否", "no"),
                "satisfaction" => v.ValueKind == JsonValueKind.Number ? Labels.Satisfaction((Satisfaction)v.GetInt32())
                    : Kebab.TryParse<Satisfaction>(v.GetString(), out var sat) ? Labels.Satisfaction(sat) : v.ToString(),
                "service" => Labels.Emergency(v.GetString()),
                "result" or "answer" or "comment" when e.ActorIsSystem && v.ValueKind == JsonValueKind.String => SystemText(v.GetString()) ?? "",
                "reworkCount" or "reopenedCount" => v.ValueKind == JsonValueKind.Number && v.GetInt32() > 0 ? Pick($"第 {v.GetInt32()} 次", $"time {v.GetInt32()}") : "",
                _ when name.EndsWith("DueAt", StringComparison.Ordinal) || name == "dueAt" => v.TryGetDateTimeOffset(out var at) ? time(at) : v.ToString(),
                _ => v.ToString(),
            };
            if (!string.IsNullOrWhiteSpace(text)) yield return (Labels.Field(name), text);
        }
    }

    /// <summary>A clock note as a sentence: which phase, what happened, by when, and how many people were told.</summary>
    public static string? ClockSentence(string action, JsonElement payload, Func<DateTimeOffset?, string> time)
    {
        var phase = payload.TryGetProperty("phase", out var p) && p.ValueKind == JsonValueKind.String ? Labels.Phase(p.GetString()) : Pick("当前", "current");
        var due = payload.TryGetProperty("dueAt", out var d) && d.TryGetDateTimeOffset(out var at) ? time(at) : null;
        var count = payload.TryGetProperty("recipients", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetInt32() : 0;
        var level = payload.TryGetProperty("level", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetInt32() : 0;
        var kind = payload.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        var told = count > 0 ? Pick($"，已通知 {count} 人", $"; {count} told") : "";
        return action switch
        {
            "overdue" => Pick($"{phase}阶段已超过期限。", $"The {phase.ToLowerInvariant()} phase is past its limit."),
            "overdue-cleared" => Pick($"{phase}阶段不再超期。", $"The {phase.ToLowerInvariant()} phase is no longer overdue."),
            "escalate" => Pick($"{phase}阶段超期未办，升级到第 {level} 级{told}。", $"The {phase.ToLowerInvariant()} phase is overdue: escalated to level {level}{told}."),
            "remind" when kind == "due" => Pick($"{phase}阶段已到期限（{due}）{told}。", $"The {phase.ToLowerInvariant()} phase reached its limit ({due}){told}."),
            "remind" => Pick($"{phase}阶段即将到期（{due}）{told}。", $"The {phase.ToLowerInvariant()} phase is due soon ({due}){told}."),
            _ => null,
        };
    }

    /// <summary>
    /// Texts the system itself writes into an event's opinion, reason or result (the follow-up rules, camera alerts, the
    /// platform exchange). They are stored in Chinese, as the event log keeps them; an English reader reads them in
    /// English, old events too. A person's own words are never translated.
    /// </summary>
    public static string? SystemText(EventDto e, string? text) => e.ActorIsSystem ? SystemText(text) : text;

    public static string? SystemText(string? text)
    {
        if (string.IsNullOrEmpty(text) || !English) return text;
        if (FixedTexts.TryGetValue(text, out var en)) return en;
        foreach (var (pattern, english) in PeerTexts)
            if (pattern.Match(text) is { Success: true } m)
                return english(m.Groups["peer"].Value, m.Groups["more"].Value);
        return text;
    }

    static readonly Dictionary<string, string> FixedTexts = new(StringComparer.Ordinal)
    {
        ["回访不满意或未解决，按规则退回原单位重办"] = "The follow-up found the citizen dissatisfied or the problem unsolved: back to the department to handle again, as the rules say",
        ["视频告警，请现场核实"] = "A video alert: verify it on site",
    };

    /// <summary>The exchange's steps name the peer platform that took them (撤回, 返工, 受理, 已办结, 退回), some with the peer's own reason.</summary>
    static readonly (System.Text.RegularExpressions.Regex Pattern, Func<string, string, string> English)[] PeerTexts =
    [
        (new(@"^(?<peer>.+?) 撤回(?:：(?<more>.*))?$", System.Text.RegularExpressions.RegexOptions.Singleline),
            (peer, more) => $"Recalled by {peer}" + (more.Length > 0 ? ": " + more : "")),
        (new(@"^(?<peer>.+?) 返工(?:：(?<more>.*))?$", System.Text.RegularExpressions.RegexOptions.Singleline),
            (peer, more) => $"Sent back for rework by {peer}" + (more.Length > 0 ? ": " + more : "")),
        (new(@"^(?<peer>.+?) 受理，编号 (?<more>.*)$", System.Text.RegularExpressions.RegexOptions.Singleline), (peer, more) => $"Accepted by {peer} as number {more}"),
        (new(@"^(?<peer>.+?) 已办结$"), (peer, _) => $"Handled by {peer}"),
        (new(@"^(?<peer>.+?) 退回$"), (peer, _) => $"Returned by {peer}"),
    ];

    /// <summary>
    /// Who took a step: a person by the name stored with the event; one of the system's own principals by what it is,
    /// in the reader's language (the name stored with its events is the Chinese one).
    /// </summary>
    public static string Actor(EventDto e, string? actorId)
    {
        if (!e.ActorIsSystem) return e.ActorName;
        var known = actorId switch
        {
            "system:clock" => Pick("时限监控", "Deadline clock"),
            "system:follow-up" => Pick("回访规则", "Follow-up rules"),
            "system:portal" => Pick("市民门户", "Citizen portal"),
            "system:portal-follow-up" => Pick("市民自评", "Citizen's own rating"),
            "system:retention" => Pick("个人信息保留期限", "Personal data retention"),
            _ => null,
        };
        if (known is not null) return known;
        if (actorId is not null && actorId.StartsWith("import:", StringComparison.Ordinal)) return Pick($"导入 {actorId[7..]}", $"Import {actorId[7..]}");
        // Other machine principals (API keys, camera platforms, peer platforms) carry the name they were given.
        return string.IsNullOrWhiteSpace(e.ActorName) || e.ActorName.StartsWith("system:", StringComparison.Ordinal) ? Pick("系统", "System") : e.ActorName;
    }

    /// <summary>The part after the actor: a person's role; for the system's own steps, that it was the system.</summary>
    public static string? RoleNote(EventDto e) =>
        e.ActorIsSystem && e.Role is null or "background-worker" ? Pick("系统", "System") : e.Role is null ? null : Labels.Role(e.Role);
}
