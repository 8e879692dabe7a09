namespace CityLoop.Domain.Cases;

/// <summary>The union of what any action may carry; each action reads the fields its transition lists.</summary>
public sealed record ActionInput
{
    public string? Opinion { get; init; }
    public string? Reason { get; init; }
    public string? Answer { get; init; }
    public string? Result { get; init; }
    public string? Comment { get; init; }
    public string? Target { get; init; }
    public string? TargetCase { get; init; }
    public string? Inspector { get; init; }
    /// <summary>Internal assignment: the handler (user id once resolved) the department head gives the case to.</summary>
    public string? Assignee { get; init; }
    /// <summary>Internal assignment: the team (a child department's code) the department head gives the case to.</summary>
    public string? Team { get; init; }
    /// <summary>Arbitration: whether the disputed return stands.</summary>
    public bool? Upheld { get; init; }
    public string? CategoryCode { get; init; }
    public string? StandardItem { get; init; }
    public string? LeadDepartment { get; init; }
    public IReadOnlyList<string>? AssistingDepartments { get; init; }
    public DateTimeOffset? DueAt { get; init; }
    public bool? Confirmed { get; init; }
    public bool? Contacted { get; init; }
    public bool? Resolved { get; init; }
    public Satisfaction? Satisfaction { get; init; }
    public IReadOnlyList<Guid>? AttachmentIds { get; init; }
    /// <summary>hand-over: the code of the platform of this deployment that takes the case.</summary>
    public string? Platform { get; init; }
    /// <summary>Set by the server on 'file': the catalogue version whose filing condition the case keeps.</summary>
    public int? CatalogueVersion { get; init; }

    public static readonly ActionInput Empty = new();

    /// <summary>Whether a field named as in <see cref="ActionField.Name"/> has a value.</summary>
    public bool Has(string field) => field switch
    {
        "opinion" => !string.IsNullOrWhiteSpace(Opinion),
        "reason" => !string.IsNullOrWhiteSpace(Reason),
        "answer" => !string.IsNullOrWhiteSpace(Answer),
        "result" => !string.IsNullOrWhiteSpace(Result),
        "comment" => !string.IsNullOrWhiteSpace(Comment),
        "target" => !string.IsNullOrWhiteSpace(Target),
        "targetCase" => !string.IsNullOrWhiteSpace(TargetCase),
        "inspector" => !string.IsNullOrWhiteSpace(Inspector),
        "assignee" => !string.IsNullOrWhiteSpace(Assignee),
        "team" => !string.IsNullOrWhiteSpace(Team),
        "upheld" => Upheld is not null,
        "categoryCode" => !string.IsNullOrWhiteSpace(CategoryCode),
        "standardItem" => !string.IsNullOrWhiteSpace(StandardItem),
        "leadDepartment" => !string.IsNullOrWhiteSpace(LeadDepartment),
        "assistingDepartments" => AssistingDepartments is { Count: > 0 },
        "dueAt" => DueAt is not null,
        "confirmed" => Confirmed is not null,
        "contacted" => Contacted is not null,
        "resolved" => Resolved is not null,
        "satisfaction" => Satisfaction is not null,
        "attachmentIds" => AttachmentIds is { Count: > 0 },
        "platform" => !string.IsNullOrWhiteSpace(Platform),
        _ => false,
    };
}
