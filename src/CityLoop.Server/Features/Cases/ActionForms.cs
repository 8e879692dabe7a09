using CityLoop.Domain;
using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Pickers;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;

namespace CityLoop.Server.Features.Cases;

/// <summary>
/// The forms of the actions the transition table allows this user on one case now (GET /actions), rendered by
/// _ActionForms.cshtml on the case page and on the desks (map desk, department inbox, queues). Every form posts to the
/// case page's Act handler, so every desk shares one write path; <see cref="ReturnUrl"/> brings the user back to their desk.
/// </summary>
public sealed record ActionForms(
    CaseDto Case,
    IReadOnlyList<AvailableActionDto> Actions,
    IReadOnlyList<AttachmentDto> Attachments,
    RoutingDto? Routing,
    IReadOnlyDictionary<string, string> Departments,
    string? PostedAction = null,
    IFormCollection? PostedForm = null,
    string? ReturnUrl = null)
{
    /// <summary>Actions whose form takes photos in the same step (handling, self-handling, a check): the form uploads them.</summary>
    public static bool TakesPhotos(AvailableActionDto a) => a.Fields.Any(f => f.Kind == Kebab.From(nameof(FieldKind.Attachments)));

    /// <summary>
    /// A code-kind field of an action as a picker: what the user posted in a refused form, else for dispatch the routing
    /// suggestion — but never, preselected, the lead department that has just returned the case.
    /// </summary>
    public PickerField Picker(AvailableActionDto a, FieldDto f, FieldKind kind)
    {
        IReadOnlyList<string> codes = PostedAction == a.Action && PostedForm is { } form
            ? form[f.Name].Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList()
            : (kind, Routing) switch
            {
                (FieldKind.Department, { LeadDepartment: { } lead } r) when lead != r.ReturnedBy => [lead],
                (FieldKind.Departments, { } r) => r.AssistingDepartments,
                _ => [],
            };
        var selected = codes.Select(code => kind is FieldKind.Department or FieldKind.Departments or FieldKind.Team
            ? new PickerOption(code, Departments.GetValueOrDefault(code, code), Warning: code == Routing?.ReturnedBy ? Routing.Warning : null)
            : new PickerOption(code, code)).ToList();
        var dependsOn = kind == FieldKind.StandardItem
            ? a.Fields.FirstOrDefault(x => Kebab.TryParse<FieldKind>(x.Kind, out var k) && k == FieldKind.Category)?.Name
            : null;
        return new PickerField(f.Name, kind, f.Required, Labels.Field(f.Name), selected, Case.Id, a.Action) { DependsOn = dependsOn };
    }

    /// <summary>What the user typed into a refused form, so nothing is lost.</summary>
    public string? Posted(string action, string field) => PostedAction == action && PostedForm is { } form ? form[field].ToString() : null;
}
