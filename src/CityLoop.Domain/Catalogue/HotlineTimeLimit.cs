using CityLoop.Domain.Cases;

namespace CityLoop.Domain.Catalogue;

/// <summary>
/// Default handling limit of a hotline work order. It depends on the request type, not on the taxonomy leaf,
/// which is why it is a separate table rather than a filing condition per leaf.
/// </summary>
public sealed record HotlineTimeLimit(
    RequestType RequestType,
    string Name,
    string TimeLimit,
    ConditionSource Source = ConditionSource.Default);
