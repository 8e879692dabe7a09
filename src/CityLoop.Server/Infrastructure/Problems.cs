using CityLoop.Domain.Cases;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CityLoop.Server.Infrastructure;

public sealed class NotFoundException(string message) : Exception(message);

/// <summary>Someone else changed the case first (HTTP 409 with the current state and version).</summary>
public sealed class ConcurrencyConflictException(string message, CaseState state, int version) : Exception(message)
{
    public CaseState State { get; } = state;
    public int Version { get; } = version;
}

/// <summary>A request that conflicts with something stored (idempotency key reused with another body, duplicate name).</summary>
public sealed class ConflictException(string message) : Exception(message);

/// <summary>Maps domain and application errors to RFC 7807 problem details; a user's mistake is never a 500.</summary>
public sealed class ProblemDetailsExceptionHandler(IProblemDetailsService problems, ILogger<ProblemDetailsExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        ProblemDetails? pd = exception switch
        {
            CaseValidationException v => new HttpValidationProblemDetails(v.Errors)
            {
                Status = StatusCodes.Status422UnprocessableEntity, Title = "The request is invalid.", Detail = v.Message,
                Type = "https://cityloop.dev/problems/validation",
            },
            CaseRuleException r => With(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict, Title = "The case does not allow this now.", Detail = r.Message,
                Type = "https://cityloop.dev/problems/transition-not-allowed",
            }, ("rule", r.Rule), ("currentState", r.CurrentState is { } s ? Domain.Kebab.From(s.ToString()) : null)),
            ConcurrencyConflictException c => With(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict, Title = "The case was changed by someone else.", Detail = c.Message,
                Type = "https://cityloop.dev/problems/concurrent-edit",
            }, ("currentState", Domain.Kebab.From(c.State.ToString())), ("currentVersion", c.Version)),
            ConflictException c => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict, Title = "Conflict.", Detail = c.Message, Type = "https://cityloop.dev/problems/conflict",
            },
            CaseForbiddenException f => new ProblemDetails
            {
                Status = StatusCodes.Status403Forbidden, Title = "Not allowed.", Detail = f.Message, Type = "https://cityloop.dev/problems/forbidden",
            },
            Features.Identity.UnauthenticatedException u => new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized, Title = "Sign in first.", Detail = u.Message, Type = "https://cityloop.dev/problems/unauthenticated",
            },
            NotFoundException n => new ProblemDetails
            {
                Status = StatusCodes.Status404NotFound, Title = "Not found.", Detail = n.Message, Type = "https://cityloop.dev/problems/not-found",
            },
            BadHttpRequestException b => new ProblemDetails
            {
                Status = b.StatusCode, Title = "The request could not be read.", Detail = b.InnerException?.Message ?? b.Message,
                Type = "https://cityloop.dev/problems/bad-request",
            },
            Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict, Title = "Changed by someone else at the same time.", Detail = "Read it again and retry.",
                Type = "https://cityloop.dev/problems/concurrent-edit",
            },
            _ when DbErrors.IsConflict(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict, Title = "Changed by someone else at the same time.", Detail = "Another request changed the same record first: read it again and retry.",
                Type = "https://cityloop.dev/problems/concurrent-edit",
            },
            _ when DbErrors.IsBadValue(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest, Title = "The request holds a value the database cannot store.", Detail = "A text or number is out of what can be stored.",
                Type = "https://cityloop.dev/problems/bad-request",
            },
            _ when DbErrors.IsTransient(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable, Title = "The server is busy.", Detail = "Try again in a moment.",
                Type = "https://cityloop.dev/problems/busy",
            },
            System.Text.Json.JsonException j => new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest, Title = "The request body is not valid JSON.", Detail = j.Message,
                Type = "https://cityloop.dev/problems/bad-request",
            },
            _ => null,
        };
        if (pd is not null && DbErrors.IsBadValue(exception))
            // A value that got past the boundary's checks: answered as the client's mistake, but it is our gap to close.
            log.LogWarning(exception, "A value reached the database unchecked on {Path}", http.Request.Path);
        if (pd is null)
        {
            log.LogError(exception, "Unhandled error on {Path}", http.Request.Path);
            return false;
        }
        http.Response.StatusCode = pd.Status!.Value;
        if (pd.Status == StatusCodes.Status503ServiceUnavailable) http.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = pd, Exception = exception });
    }

    static ProblemDetails With(ProblemDetails pd, params (string Key, object? Value)[] extensions)
    {
        foreach (var (k, v) in extensions)
            if (v is not null) pd.Extensions[k] = v;
        return pd;
    }
}

/// <summary>Recognises database errors that are the client's or the moment's, not the server's, on both providers.</summary>
public static class DbErrors
{
    public static bool IsUniqueViolation(Exception ex) => Find(ex) switch
    {
        Npgsql.PostgresException pg => pg.SqlState == "23505",
        Microsoft.Data.Sqlite.SqliteException sq => sq.SqliteErrorCode == 19 && sq.Message.Contains("UNIQUE", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>A unique key taken by a parallel request, a serialization failure or deadlock, or SQLite busy: retrying can succeed.</summary>
    public static bool IsConflict(Exception ex) => IsUniqueViolation(ex) || Find(ex) switch
    {
        Npgsql.PostgresException pg => pg.SqlState is "40001" or "40P01" or "55P03",
        Microsoft.Data.Sqlite.SqliteException sq => sq.SqliteErrorCode is 5 or 6,
        _ => false,
    };

    /// <summary>A value PostgreSQL refuses: NUL or an invalid character, a number or an index entry out of range.</summary>
    public static bool IsBadValue(Exception ex) => Find(ex) is Npgsql.PostgresException pg
        && (pg.SqlState is "22021" or "22P05" or "22003" or "22008" or "2201W" or "2201X" or "54000" || pg.SqlState.StartsWith("22P0", StringComparison.Ordinal));

    /// <summary>The database is overloaded or unreachable for a moment (pool exhausted, connection timed out): a 503, not a bug.</summary>
    public static bool IsTransient(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is Npgsql.NpgsqlException { IsTransient: true } or TimeoutException) return true;
        return false;
    }

    static Exception? Find(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is Npgsql.PostgresException or Microsoft.Data.Sqlite.SqliteException) return ex;
        return null;
    }
}
