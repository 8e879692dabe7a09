using CityLoop.Domain;
using CityLoop.Domain.Cases;

namespace CityLoop.Server.Features.Cases;

public sealed record LocationDto(double? Lat, double? Lon);

/// <summary>The caller; <c>address</c> is where to reach them (their own), not the place of the problem.</summary>
public sealed record ReporterInput(string? Name, string? Phone, bool? Confidential, bool? Anonymous, string? Address = null);

/// <summary>The intake request: source, requestType, description and a location or an address are enough.</summary>
public sealed record CreateCaseRequest(
    CaseSource? Source,
    RequestType? RequestType,
    string? Description,
    string? Title,
    string? CategoryCode,
    LocationDto? Location,
    string? Address,
    string? ComponentId,
    ReporterInput? Reporter,
    bool? Confidential,
    bool? Anonymous,
    Urgency? Urgency,
    string? ExternalId)
{
    public NewCase ToNewCase()
    {
        var errors = new Dictionary<string, string[]>();
        if (Source is null) errors["source"] = ["'source' is required."];
        if (RequestType is null) errors["requestType"] = ["'requestType' is required."];
        if (string.IsNullOrWhiteSpace(Description)) errors["description"] = ["'description' is required."];
        if (errors.Count > 0) throw new CaseValidationException(errors);
        return new NewCase
        {
            Source = Source!.Value,
            RequestType = RequestType!.Value,
            Description = Description!,
            Title = Title,
            CategoryCode = CategoryCode,
            Latitude = Location?.Lat,
            Longitude = Location?.Lon,
            Address = Address,
            ComponentId = ComponentId,
            ReporterName = Reporter?.Name,
            ReporterPhone = Reporter?.Phone,
            ReporterAddress = Reporter?.Address,
            Confidential = Confidential ?? Reporter?.Confidential ?? false,
            Anonymous = Anonymous ?? Reporter?.Anonymous ?? false,
            Urgency = Urgency ?? Domain.Cases.Urgency.Normal,
            ExternalId = ExternalId,
        };
    }
}

public sealed record ActionRequest(
    int? ExpectedVersion,
    string? Opinion,
    string? Reason,
    string? Answer,
    string? Result,
    string? Comment,
    string? Target,
    string? TargetCase,
    string? Inspector,
    string? CategoryCode,
    string? StandardItem,
    string? LeadDepartment,
    IReadOnlyList<string>? AssistingDepartments,
    DateTimeOffset? DueAt,
    bool? Confirmed,
    bool? Contacted,
    bool? Resolved,
    Satisfaction? Satisfaction,
    IReadOnlyList<Guid>? AttachmentIds,
    string? Assignee = null,
    bool? Upheld = null,
    string? Team = null,
    string? Platform = null)
{
    public ActionInput ToInput() => Checked(new()
    {
        Opinion = Opinion, Reason = Reason, Answer = Answer, Result = Result, Comment = Comment, Target = Target,
        TargetCase = TargetCase, Inspector = Inspector, CategoryCode = CategoryCode, StandardItem = StandardItem,
        LeadDepartment = LeadDepartment, AssistingDepartments = AssistingDepartments, DueAt = DueAt, Confirmed = Confirmed,
        Contacted = Contacted, Resolved = Resolved, Satisfaction = Satisfaction, AttachmentIds = AttachmentIds,
        Assignee = Assignee, Upheld = Upheld, Team = Team, Platform = Platform,
    });

    static ActionInput Checked(ActionInput input)
    {
        InputLimits.Check(input);
        return input;
    }
}

public sealed record PlaceDto(double? Lat, double? Lon, string? Address, string? GridCode, string? CommunityCode, string? StreetCode, string? DistrictCode, bool OutsideGrid);

public sealed record ReporterDto(string? Name, string? Phone, bool Masked, bool Confidential, bool Anonymous, string? Address = null);

public sealed record DeadlinesDto(DateTimeOffset? Filing, DateTimeOffset? SignFor, DateTimeOffset? Handling, DateTimeOffset? Check, DateTimeOffset? Close, DateTimeOffset? FollowUp, string? CurrentPhase, DateTimeOffset? Current, DateTimeOffset? WarnAt = null,
    DateTimeOffset? Verification = null, DateTimeOffset? Dispatch = null, DateTimeOffset? Review = null, DateTimeOffset? Feedback = null);

public sealed record FlagsDto(bool Overdue, bool Supervised, string? MergedInto, int ReopenedCount, int ReworkCount, int ReturnCount, bool ClosedAtIntake, bool Urgent, string? RepeatOf = null,
    bool SelfHandled = false, int MergedInCount = 0, string? AssignedHandler = null, string? AssignedInspector = null, string? AssignedTeam = null);

public sealed record FollowUpDto(DateTimeOffset At, bool? Contacted, bool? Resolved, Satisfaction? Satisfaction, string? Comment);

public sealed record CaseDto(
    Guid Id, string Number, string State, int Version, CaseSource Source, RequestType RequestType, string? CategoryCode,
    string? Title, string Description, Urgency Urgency, PlaceDto Location, string? ComponentId, ReporterDto Reporter,
    string? LeadDepartment, IReadOnlyList<string> AssistingDepartments, DeadlinesDto Deadlines, string Light, FlagsDto Flags,
    string? FilingStandardItem, string? ClosingStandardItem, string? Answer, string? Result, string? RejectReason, string? TransferTarget,
    FollowUpDto? FollowUp, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FiledAt, DateTimeOffset? DispatchedAt,
    DateTimeOffset? FinishedAt, DateTimeOffset? ClosedAt, string? QueryCode = null, string? ExternalId = null)
{
    /// <summary>The platform of the deployment that holds the case: the root's code or a sub-centre's (decision 026).</summary>
    public string? Platform { get; init; }
}

public sealed record CaseSummaryDto(
    Guid Id, string Number, string State, RequestType RequestType, CaseSource Source, string? CategoryCode, string? Title,
    string Description, string? Address, string? LeadDepartment, DateTimeOffset CreatedAt, DateTimeOffset? DueAt, string Light, bool Overdue, bool Supervised, string? RepeatOf = null, string? AssignedTeam = null);

public sealed record EventDto(int Seq, string Action, string? From, string To, string ActorName, bool ActorIsSystem, string? Role, string? Department, DateTimeOffset At, string? Opinion, System.Text.Json.JsonElement? Payload);

public sealed record FieldDto(string Name, string Kind, bool Required);

public sealed record AvailableActionDto(string Action, string? To, IReadOnlyList<FieldDto> Fields);

/// <summary>
/// A page of a list; <see cref="TotalCapped"/> says that <see cref="Total"/> is a lower bound ("at least", a broad
/// filter over a large table: the count stops at its cap, a text search counts the matches among the newest cases it
/// examined). <see cref="Partial"/>: a text search with very many matches, none of them recent enough for the cases it
/// examines, answers with the matches it found there — possibly fewer than a page, never others in their place
/// (decision 035); narrowing the search (a period, another word) to fewer matches in the city gives the exact page
/// (decision 043).
/// </summary>
public sealed record PageDto<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize, bool TotalCapped = false, bool Partial = false);

public static class StateNames
{
    public static string Api(this CaseState s) => Kebab.From(s.ToString());
}
