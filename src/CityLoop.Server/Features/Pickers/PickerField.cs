using CityLoop.Domain;
using CityLoop.Domain.Cases;

namespace CityLoop.Server.Features.Pickers;

/// <summary>
/// One code-kind field on a desk form, rendered by _Picker.cshtml: a search box over GET /api/v1/pickers/{kind}
/// that posts the chosen code(s) under <see cref="Name"/>. The hotline desktop and the map desk reuse it as is.
/// </summary>
public sealed record PickerField(string Name, FieldKind Kind, bool Required, string Label, IReadOnlyList<PickerOption> Selected,
    Guid? CaseId = null, string? Action = null, string? Field = null, string? Id = null)
{
    public bool Multiple => Kind == FieldKind.Departments;

    public string KindName => Kebab.From(Kind.ToString());

    public string DomId => Id ?? ("pick-" + (Action is null ? "" : Action + "-") + Name).Replace('.', '-');

    /// <summary>The picker API address with what the options depend on; the script appends q, category and paging.</summary>
    public string Url
    {
        get
        {
            var q = new List<string>();
            if (CaseId is { } id) q.Add("caseId=" + id);
            if (Action is not null) q.Add("action=" + Uri.EscapeDataString(Action));
            q.Add("field=" + Uri.EscapeDataString(Field ?? Name));
            return $"/api/v1/pickers/{KindName}?{string.Join("&", q)}";
        }
    }

    /// <summary>Standard items depend on the category chosen in the same form, when the form has one.</summary>
    public string? DependsOn { get; init; }
}
