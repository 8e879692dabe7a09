using System.Text.Json;
using CityLoop.Domain.Cases;

namespace CityLoop.Server.Features.Exchange;

/// <summary>
/// One message between peer platforms (docs/exchange/openapi.yaml). <see cref="CaseNumber"/> is the case's number on
/// the sender, <see cref="PeerCaseNumber"/> its number on the receiver once the sender knows it; <see cref="Seq"/>
/// orders the messages about one case from one sender (1, 2, 3 …).
/// </summary>
public sealed record ExchangeMessage
{
    public Guid MessageId { get; init; }
    /// <summary>
    /// dispatch (市派, upper → lower), report (上报, lower → upper), status, result, return, follow-up; and from the upper
    /// about a case it dispatched: recall (撤回: it was redispatched to someone else) and rework (返工: the upper's check
    /// failed or the case was reopened, and it is the lower's again, with <see cref="Case"/>.DueAt the new deadline).
    /// </summary>
    public string Kind { get; init; } = "";
    /// <summary>The sender's platform code; must be the peer that signed the request.</summary>
    public string From { get; init; } = "";
    public string CaseNumber { get; init; } = "";
    public string? PeerCaseNumber { get; init; }
    public int Seq { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    /// <summary>The case as the sender has it: on dispatch and report.</summary>
    public ExchangeCase? Case { get; init; }
    /// <summary>On status: the workflow action that happened on the sender and the state it left the case in.</summary>
    public string? Action { get; init; }
    public string? State { get; init; }
    public string? Opinion { get; init; }
    /// <summary>On result: what was done; on return and report: why.</summary>
    public string? Result { get; init; }
    public string? Reason { get; init; }
    /// <summary>Stored in the outbox only: the photos, expanded into <see cref="Photos"/> when sent.</summary>
    public IReadOnlyList<Guid>? AttachmentIds { get; init; }
    public IReadOnlyList<ExchangePhoto>? Photos { get; init; }
    public ExchangeFollowUp? FollowUp { get; init; }

    public static readonly JsonSerializerOptions Json = CreateJson();

    static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions();
        CityLoopApp.Json(o);
        o.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        return o;
    }

    public static class Kinds
    {
        public const string Dispatch = "dispatch";
        public const string Report = "report";
        public const string Status = "status";
        public const string Result = "result";
        public const string Return = "return";
        public const string FollowUp = "follow-up";
        public const string Recall = "recall";
        public const string Rework = "rework";
        public static readonly IReadOnlySet<string> All = new HashSet<string> { Dispatch, Report, Status, Result, Return, FollowUp, Recall, Rework };
    }
}

public sealed record ExchangeCase
{
    public RequestType RequestType { get; init; }
    public string Description { get; init; } = "";
    public string? Title { get; init; }
    public string? CategoryCode { get; init; }
    public double? Lat { get; init; }
    public double? Lon { get; init; }
    public string? Address { get; init; }
    public Urgency Urgency { get; init; }
    public string? ReporterName { get; init; }
    public string? ReporterPhone { get; init; }
    public bool Confidential { get; init; }
    public bool Anonymous { get; init; }
    /// <summary>On dispatch: by when the upper platform expects the result back (反馈时限).</summary>
    public DateTimeOffset? DueAt { get; init; }
}

public sealed record ExchangePhoto(string FileName, string ContentType, string Content);

public sealed record ExchangeFollowUp(bool? Contacted, bool? Resolved, Satisfaction? Satisfaction, string? Comment);
