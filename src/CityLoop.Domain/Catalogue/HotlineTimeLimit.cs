namespace CityLoop.Domain.Catalogue;

/// <summary>12345 request types (REFERENCE §2): 咨询, 求助, 投诉, 举报, 建议, 表扬.</summary>
public enum HotlineRequestType
{
    Enquiry,
    Help,
    Complaint,
    Report,
    Suggestion,
    Praise,
}

/// <summary>
/// Default handling limit of a hotline work order. It depends on the request type, not on the taxonomy leaf,
/// which is why it is a separate table rather than a filing condition per leaf.
/// </summary>
public sealed record HotlineTimeLimit(
    HotlineRequestType RequestType,
    string Name,
    string TimeLimit,
    ConditionSource Source = ConditionSource.Default);
