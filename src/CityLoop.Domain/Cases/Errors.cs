namespace CityLoop.Domain.Cases;

/// <summary>A business rule refused the request (HTTP 409): the case is not in a state that allows it.</summary>
public class CaseRuleException(string rule, string message, CaseState? currentState = null) : Exception(message)
{
    public string Rule { get; } = rule;
    public CaseState? CurrentState { get; } = currentState;
}

/// <summary>The actor's role or department does not allow the action (HTTP 403).</summary>
public sealed class CaseForbiddenException(string message) : Exception(message);

/// <summary>The request is incomplete or malformed (HTTP 422); <see cref="Errors"/> maps field → messages.</summary>
public sealed class CaseValidationException(IDictionary<string, string[]> errors)
    : Exception("One or more fields are invalid: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")))
{
    public IDictionary<string, string[]> Errors { get; } = errors;

    public static CaseValidationException Single(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}
