using CityLoop.Domain.Cases;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Open311;

/// <summary>
/// What an Open311 client sent with a request beyond the case itself: which client (its API key's name), the token
/// that resolves to the case, the attribute answers and the media URLs. Written in the intake's unit of work.
/// </summary>
public sealed class Open311Request
{
    public Guid CaseId { get; set; }
    public string Client { get; set; } = "";
    public string Token { get; set; } = "";
    public string ServiceCode { get; set; } = "";
    /// <summary>The answers as JSON: [{code, values[]}].</summary>
    public string Attributes { get; set; } = "[]";
    /// <summary>Media URLs, one a line.</summary>
    public string? MediaUrls { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

sealed class Open311RequestConfiguration : IEntityTypeConfiguration<Open311Request>
{
    public void Configure(EntityTypeBuilder<Open311Request> e)
    {
        e.ToTable("open311_requests");
        e.HasKey(x => x.CaseId);
        e.HasIndex(x => x.Token).IsUnique();
        e.HasIndex(x => x.Client);
    }
}

public sealed class Open311Options
{
    /// <summary>The one jurisdiction this endpoint serves; empty means the platform code.</summary>
    public string? JurisdictionId { get; set; }
    /// <summary><c>realtime</c> (POST answers with the id) or <c>batch</c> (POST answers with a token to resolve).</summary>
    public string ServiceType { get; set; } = "realtime";
    /// <summary><c>production</c> or <c>test</c>, as discovery announces the endpoint.</summary>
    public string EndpointType { get; set; } = "production";
    /// <summary>The endpoint's public base URL in discovery; empty means the URL the request came in on.</summary>
    public string? PublicUrl { get; set; }
    public string Contact { get; set; } = "12345 政务服务便民热线 / the city's 12345 hotline";
    public string KeyService { get; set; } = "API keys are issued by the platform's security administrator (安全管理员) on request.";
}

/// <summary>
/// The workflow's states as Open311 shows them: <c>open</c>/<c>closed</c> (the spec's two) and the extended status
/// (FixMyStreet's vocabulary) for clients that ask with <c>extensions=true</c> and for <c>servicerequestupdates</c>.
/// One row per state; a test walks every state.
/// </summary>
public static class Open311Statuses
{
    public static readonly IReadOnlyDictionary<CaseState, string> Extended = new Dictionary<CaseState, string>
    {
        [CaseState.Reported] = "OPEN",
        [CaseState.Verifying] = "INVESTIGATING",
        [CaseState.PendingFiling] = "FOR_TRIAGE",
        [CaseState.Rejected] = "NO_FURTHER_ACTION",
        [CaseState.PendingDispatch] = "ACTION_SCHEDULED",
        [CaseState.PendingSignFor] = "ACTION_SCHEDULED",
        [CaseState.Handling] = "IN_PROGRESS",
        [CaseState.ReturnRequested] = "INTERNAL_REFERRAL",
        [CaseState.ExtensionRequested] = "IN_PROGRESS",
        [CaseState.SuspensionRequested] = "IN_PROGRESS",
        [CaseState.Suspended] = "ACTION_SCHEDULED",
        [CaseState.FeedbackReview] = "IN_PROGRESS",
        [CaseState.ArbitrationRequested] = "INTERNAL_REFERRAL",
        [CaseState.PendingCheck] = "IN_PROGRESS",
        [CaseState.PendingClose] = "FIXED",
        // Closed: FIXED after handling or on-the-spot fixing, CLOSED when answered or closed without work (see Of).
        [CaseState.Closed] = "CLOSED",
        [CaseState.Transferred] = "NOT_COUNCILS_RESPONSIBILITY",
        [CaseState.Cancelled] = "CANCELLED",
        [CaseState.Merged] = "DUPLICATE",
    };

    public static string Status(CaseState state) => state.IsOpen() ? "open" : "closed";

    public static string ExtendedOf(CaseState state, bool worked) =>
        state == CaseState.Closed && worked ? "FIXED" : Extended[state];

    public static string ExtendedOf(Case c) => ExtendedOf(c.State, c.FinishedAt is not null || c.SelfHandled);
}
