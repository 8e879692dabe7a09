using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Pickers;
using Microsoft.EntityFrameworkCore;
using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Cases;

/// <summary>
/// Checks every field of the transition being performed against reference data, by its kind — categories, standard
/// items, departments, users, case numbers, attachments — and turns names into the codes and ids the domain keeps.
/// Each refusal names its field. A request the transition table refuses anyway (wrong state, wrong role) is left
/// for the domain to refuse with its own answer.
/// </summary>
public sealed class ActionReferences(CityLoopDb db, CodeLists lists, Platforms.PlatformRegistry platforms)
{
    public async Task<ActionInput> CheckAsync(Case c, CaseAction action, ActionInput input, TransitionContext ctx, CancellationToken ct = default)
    {
        var actor = ctx.Actor;
        if (c.WhyNot(action, actor, out var transition, out _, ctx) is not null || transition is null) return input;
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) => errors[field] = [message];

        // Categories first: the standard items of a filing depend on the category chosen in the same action.
        var ordered = transition.Fields.OrderBy(f => f.Kind == FieldKind.Category ? 0 : 1);
        foreach (var field in ordered)
        {
            var values = ActionFieldValues.Get(input, field.Name);
            var present = values.Any(v => !string.IsNullOrWhiteSpace(v));
            switch (field.Kind)
            {
                case FieldKind.Category when present:
                {
                    var key = values[0]!.Trim();
                    var catalogue = lists.Catalogue(await lists.CurrentCatalogueVersionAsync(ct));
                    if (CheckCategory(catalogue, key, out var message) is { } category) input = ActionFieldValues.With(input, field.Name, [category.Key]);
                    else Fail(field.Name, message!);
                    break;
                }
                case FieldKind.StandardItem when present:
                {
                    if (errors.Keys.Any(k => transition.Fields.Any(f => f.Name == k && f.Kind == FieldKind.Category))) break;
                    var code = values[0]!.Trim();
                    var categoryKey = CategoryOf(transition, input) ?? c.CategoryCode;
                    var catalogue = await lists.CatalogueForAsync(c, transition, ct);
                    var kind = CodeLists.StandardFor(transition);
                    if (categoryKey is not null && catalogue?.Find(categoryKey) is null)
                    {
                        Fail(CategoryField(transition) ?? field.Name, Pick($"案件类别“{categoryKey}”不在类别目录中，请先重新分类。",
                            $"The case's category '{categoryKey}' is not in the catalogue: categorise it again first."));
                        break;
                    }
                    var item = lists.StandardItems(c, transition, categoryKey, catalogue)
                        .FirstOrDefault(i => string.Equals(i.Code, code, StringComparison.OrdinalIgnoreCase));
                    if (item is null)
                        Fail(field.Name, kind == StandardKind.Closing
                            ? Pick($"“{code}”不是本案类别结案标准中的条目。", $"'{code}' is not an item of the closing standard of this case's category.")
                            : Pick($"“{code}”不是本案类别立案标准中的条目。", $"'{code}' is not an item of the filing standard of this case's category."));
                    else input = ActionFieldValues.With(input, field.Name, [item.Code]);
                    break;
                }
                case FieldKind.Department or FieldKind.Departments:
                {
                    var codes = values.Select(v => v?.Trim()).ToList();
                    if (codes.Any(string.IsNullOrEmpty) && (field.Kind == FieldKind.Departments || present))
                    {
                        Fail(field.Name, Pick("单位不能为空。", "A department cannot be empty."));
                        break;
                    }
                    if (!present) break;
                    var wanted = codes.OfType<string>().ToList();
                    // The departments of the case's own platform, in use (decision 026): a sub-centre dispatches to its own.
                    var platformColumn = platforms.Column(c.PlatformCode);
                    var known = await lists.InUseDepartmentsAsync(wanted, platformColumn, ct);
                    var unknown = wanted.Except(known).ToList();
                    if (unknown.Count > 0)
                    {
                        Fail(field.Name, Pick($"本案件所在平台没有这些在用单位：{string.Join("、", unknown)}。", $"Unknown department(s) on this case's platform: {string.Join(", ", unknown)}."));
                        break;
                    }
                    if (wanted.Distinct().Count() != wanted.Count)
                    {
                        Fail(field.Name, Pick("同一单位不能重复选择。", "A department is listed twice."));
                        break;
                    }
                    var lead = transition.Fields.FirstOrDefault(f => f.Kind == FieldKind.Department) is { } leadField
                        ? ActionFieldValues.Get(input, leadField.Name).FirstOrDefault()?.Trim() : null;
                    if (field.Kind == FieldKind.Departments && lead is not null && wanted.Contains(lead))
                    {
                        Fail(field.Name, Pick("主办单位不能同时作为协办单位。", "The lead department cannot also assist."));
                        break;
                    }
                    input = ActionFieldValues.With(input, field.Name, wanted);
                    break;
                }
                case FieldKind.User when present:
                {
                    var name = values[0]!.Trim();
                    var user = Guid.TryParse(name, out var userId)
                        ? await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct)
                        : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == name, ct);
                    if (user is null) Fail(field.Name, Pick($"没有用户“{name}”。", $"There is no user '{name}'."));
                    else if (user.PlatformCode != platforms.Column(c.PlatformCode))
                        Fail(field.Name, Pick($"“{user.DisplayName}”不属于本案件所在的平台。", $"'{user.DisplayName}' does not work for this case's platform."));
                    else if (user.Disabled) Fail(field.Name, Pick($"用户“{user.DisplayName}”已停用。", $"The user '{user.DisplayName}' is disabled."));
                    else if (!CodeLists.UserRule(field.Name, actor)(user))
                        Fail(field.Name, field.Name switch
                        {
                            "inspector" => Pick($"“{user.DisplayName}”不是监督员。", $"'{user.DisplayName}' is not an inspector."),
                            "assignee" => Pick($"“{user.DisplayName}”不是本单位的处置人员。", $"'{user.DisplayName}' is not a handler of your department."),
                            _ => Pick($"“{user.DisplayName}”不办理案件。", $"'{user.DisplayName}' does not work on cases."),
                        });
                    else input = ActionFieldValues.With(input, field.Name, [user.Id.ToString()]);
                    break;
                }
                case FieldKind.Team when present:
                {
                    var code = values[0]!.Trim();
                    var team = await db.Departments.AsNoTracking().FirstOrDefaultAsync(d => d.Code == code, ct);
                    if (team is null) Fail(field.Name, Pick($"没有单位“{code}”。", $"There is no department '{code}'."));
                    else if (team.ParentCode is null || team.ParentCode != c.LeadDepartmentCode)
                        Fail(field.Name, Pick($"“{team.Name}”不是本单位下属的班组。", $"'{team.Name}' is not a team of the lead department."));
                    else input = ActionFieldValues.With(input, field.Name, [team.Code]);
                    break;
                }
                case FieldKind.Platform when present:
                {
                    var code = values[0]!.Trim();
                    var target = (await platforms.HandOverTargetsAsync(actor, c, ct)).FirstOrDefault(p => p.Code == code);
                    if (target is null)
                        Fail(field.Name, Pick($"不能把本案件移交给“{code}”：市级平台可移交给各分中心，分中心只能交回上级。",
                            $"This case cannot be handed to '{code}': the root platform hands cases to its sub-centres, a sub-centre back up only."));
                    else input = ActionFieldValues.With(input, field.Name, [target.Code]);
                    break;
                }
                case FieldKind.CaseNumber when present:
                {
                    var number = values[0]!.Trim();
                    if (string.Equals(number, c.Number, StringComparison.OrdinalIgnoreCase))
                    {
                        Fail(field.Name, Pick("案件不能并入自身。", "A case cannot be merged into itself."));
                        break;
                    }
                    var target = await lists.MergeTargets(actor, c.Id).Select(x => new { x.Number }).FirstOrDefaultAsync(x => x.Number == number, ct);
                    if (target is not null)
                    {
                        input = ActionFieldValues.With(input, field.Name, [target.Number]);
                        break;
                    }
                    var state = await lists.VisibleCases(actor).Where(x => x.Number == number).Select(x => (CaseState?)x.State).FirstOrDefaultAsync(ct);
                    Fail(field.Name, state is { } s && !s.IsOpen()
                        ? Pick($"案件 {number} 已是“{Shared.Labels.State(s)}”状态，不能再并入。", $"Case {number} is {Domain.Kebab.From(s.ToString())} and cannot take merged reports.")
                        : Pick($"没有案件 {number}，或您无权查看。", $"There is no case {number}, or it is not visible to you."));
                    break;
                }
            }
        }
        // Cited attachments are checked even on an action that does not list them: a wrong id is never just ignored.
        if (input.AttachmentIds is { Count: > 0 } ids)
        {
            var found = await db.Attachments.CountAsync(a => ids.Contains(a.Id) && a.CaseId == c.Id, ct);
            if (found != ids.Distinct().Count()) Fail("attachmentIds", Pick("附件须先上传到本案件。", "Every attachment must first be uploaded to this case."));
        }
        if (input.DueAt is { } due) input = input with { DueAt = due.ToUniversalTime() };
        // A case categorised now keeps the catalogue version it is filed under, so later catalogue edits do not change its rules.
        if (transition.Fields.Any(f => f.Kind == FieldKind.Category))
            input = input with { CatalogueVersion = await lists.CurrentCatalogueVersionAsync(ct) };
        if (errors.Count > 0) throw new CaseValidationException(errors);
        return input;
    }

    /// <summary>
    /// Checks every code a new case carries against the reference data before it is taken in, whatever the channel:
    /// the source, request type and urgency must be known values, the category a leaf of the current catalogue and the
    /// component one of the platform's components. Each refusal names its field; the category comes back as its key.
    /// </summary>
    public async Task<NewCase> CheckIntakeAsync(NewCase input, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) => errors[field] = [message];
        if (!Enum.IsDefined(input.Source)) Fail("source", Pick("未知的来源渠道。", "Unknown source channel."));
        if (!Enum.IsDefined(input.RequestType)) Fail("requestType", Pick("未知的诉求类型。", "Unknown request type."));
        if (!Enum.IsDefined(input.Urgency)) Fail("urgency", Pick("未知的紧急程度。", "Unknown urgency."));
        if (!string.IsNullOrWhiteSpace(input.CategoryCode))
        {
            var key = input.CategoryCode.Trim();
            if (CheckCategory(lists.Catalogue(await lists.CurrentCatalogueVersionAsync(ct)), key, out var message) is { } category)
                input = input with { CategoryCode = category.Key };
            else Fail("categoryCode", message!);
        }
        if (!string.IsNullOrWhiteSpace(input.ComponentId))
        {
            var id = input.ComponentId.Trim();
            if (!await db.Set<Reference.ComponentRow>().AnyAsync(r => r.Id == id, ct))
                Fail("componentId", Pick($"部件“{id}”不在部件普查数据中。", $"'{id}' is not a component of the platform's survey."));
            else input = input with { ComponentId = id };
        }
        if (errors.Count > 0) throw new CaseValidationException(errors);
        return input;
    }

    /// <summary>The key of the leaf category a code names in the current catalogue, or null when it names none.</summary>
    public async Task<string?> KnownCategoryAsync(string? code, CancellationToken ct = default) =>
        string.IsNullOrWhiteSpace(code) ? null
            : CheckCategory(lists.Catalogue(await lists.CurrentCatalogueVersionAsync(ct)), code.Trim(), out _)?.Key;

    /// <summary>The leaf category a key names in a catalogue (any letter case), or why it does not.</summary>
    public static Category? CheckCategory(CatalogueVersion? catalogue, string key, out string? message)
    {
        var category = catalogue?.Find(key) ?? catalogue?.Find(key.ToUpperInvariant());
        message = category is null ? Pick($"案件类别“{key}”不在类别目录中。", $"'{key}' is not a category of the catalogue.")
            : !category.IsLeaf ? Pick($"“{category.Name}”是大类，请选择其下的小类。", $"'{category.Name}' is a group: choose one of its categories.")
            : null;
        return message is null ? category : null;
    }

    static string? CategoryField(Transition t) => t.Fields.FirstOrDefault(f => f.Kind == FieldKind.Category)?.Name;

    static string? CategoryOf(Transition t, ActionInput input) =>
        CategoryField(t) is { } name && ActionFieldValues.Get(input, name).FirstOrDefault() is { Length: > 0 } key ? key.Trim() : null;
}
