using CityLoop.Server.Features.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityLoop.Server.Features.Calls;

public static class CallEndpoints
{
    public static void MapCallEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/calls").WithTags("Calls").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapPost("/", Record).WithName("RecordCall").RequireScope(ApiScope.CallsWrite);
        g.MapGet("/callbacks", Callbacks).WithName("ListCallbacks");
        g.MapPost("/{id:guid}/callback", CallBack).WithName("RecordCallback");
    }

    /// <summary>A CTI event: 201 when the call is new, 200 when it adds to (or repeats) what is recorded, 409 when it contradicts it.</summary>
    static async Task<Results<Created<CallDto>, Ok<CallDto>>> Record(CallEvent body, CurrentActor current, CallLog calls, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        var result = await calls.RecordAsync(body, actor, ct);
        var dto = CallLog.Dto(result.Call, actor, false);
        return result.Created ? TypedResults.Created($"/api/v1/calls/{dto.Id}", dto) : TypedResults.Ok(dto);
    }

    /// <summary>The missed-call call-back list: status=open (default, oldest first) or done (latest first).</summary>
    static async Task<Ok<IReadOnlyList<CallDto>>> Callbacks(string? status, CurrentActor current, CallLog calls, CancellationToken ct)
    {
        if (status is not (null or "open" or "done")) throw Domain.Cases.CaseValidationException.Single("status", "Give 'open' or 'done'.");
        return TypedResults.Ok(await calls.CallbacksAsync(await current.GetAsync(), status == "done", ct: ct));
    }

    static async Task<Ok<CallDto>> CallBack(Guid id, CallbackRequest body, CurrentActor current, CallLog calls, CancellationToken ct) =>
        TypedResults.Ok(await calls.CallBackAsync(id, body, await current.GetAsync(), ct));
}
