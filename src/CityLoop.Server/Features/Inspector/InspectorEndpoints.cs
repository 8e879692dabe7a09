using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Camera;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CityLoop.Server.Features.Inspector;

public static class InspectorSetup
{
    public static IServiceCollection AddInspector(this IServiceCollection services, IConfiguration config)
    {
        // PatrolOptions and PatrolService are domain services (the figures' 漏报率 reads the patrol records), registered
        // by CityLoopApp.AddDomainServices for the web server, the verbs and the benchmarks alike.
        services.Configure<CameraOptions>(config.GetSection("Camera"));
        services.AddScoped<InspectorDesk>();
        services.AddScoped<CameraAlertService>();
        services.AddScoped<ICaseHook, CameraVerificationPolicy>();
        return services;
    }
}

public sealed record DutyRequest(bool? OnDuty);

/// <summary>
/// The inspector's phone over HTTP (people only: no API-key scope reaches these): duty, the patrol track, the task list,
/// a patrol report with photos (multipart, with an Idempotency-Key), a task completed in one step; and for the command
/// centre an inspector's track and 漏报 per period.
/// </summary>
public static class InspectorEndpoints
{
    public static void MapInspectorEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/patrol").WithTags("Inspector").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("/duty", async (CurrentActor current, PatrolService patrol, CancellationToken ct) =>
            TypedResults.Ok(await patrol.DutyAsync(await current.GetAsync(), ct)));
        g.MapPost("/duty", async (DutyRequest body, CurrentActor current, PatrolService patrol, CancellationToken ct) =>
        {
            if (body.OnDuty is not { } on) throw CaseValidationException.Single("onDuty", "'onDuty' is true or false.");
            return TypedResults.Ok(await patrol.SetDutyAsync(await current.GetAsync(), on, ct));
        });
        g.MapPost("/positions", async (PositionRequest body, CurrentActor current, PatrolService patrol, CancellationToken ct) =>
            TypedResults.Ok(await patrol.RecordAsync(await current.GetAsync(), body, ct)));
        g.MapGet("/tasks", async (double? lat, double? lon, CurrentActor current, InspectorDesk desk, CancellationToken ct) =>
        {
            if ((lat is null) != (lon is null) || !InputLimits.IsLatitude(lat) || !InputLimits.IsLongitude(lon))
                throw CaseValidationException.Single("lat", "Give both 'lat' and 'lon' (the phone's position), or neither.");
            return TypedResults.Ok(await desk.TasksAsync(await current.GetAsync(), lat, lon, ct));
        });
        g.MapPost("/reports", Report).DisableAntiforgery().RequireRateLimiting(RateLimits.Intake);
        g.MapPost("/tasks/{id:guid}", Complete).DisableAntiforgery();

        var inspectors = app.MapGroup("/api/v1/inspectors").WithTags("Inspector").RequireAuthorization(AuthSetup.ApiPolicy);
        inspectors.MapGet("/{userName}/track", async (string userName, DateTimeOffset? from, DateTimeOffset? to, CurrentActor current, PatrolService patrol,
            TimeProvider clock, CancellationToken ct) =>
        {
            var (f, t) = Period(from, to, clock);
            return TypedResults.Ok(await patrol.TrackAsync(await current.GetAsync(), userName, f, t, ct));
        });
        inspectors.MapGet("/{userName}/missed", async (string userName, DateTimeOffset? from, DateTimeOffset? to, string? groupBy, CurrentActor current,
            PatrolService patrol, TimeProvider clock, CancellationToken ct) =>
        {
            var (f, t) = Period(from, to, clock);
            return TypedResults.Ok(await patrol.MissedAsync(await current.GetAsync(), userName, f, t, groupBy, ct));
        });
    }

    static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), Latest = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Instants given, else the last 24 hours; instants outside any plausible patrol are refused, not computed with.</summary>
    static (DateTimeOffset From, DateTimeOffset To) Period(DateTimeOffset? from, DateTimeOffset? to, TimeProvider clock)
    {
        foreach (var (name, at) in new[] { ("from", from), ("to", to) })
            if (at is { } v && (v < Earliest || v >= Latest)) throw CaseValidationException.Single(name, $"'{name}' is an instant between 2000 and 2200.");
        var t = to ?? clock.GetUtcNow();
        return (from ?? t.AddDays(-1), t);
    }

    static Task<List<Attachments.UploadedPhoto>> PhotosAsync(IFormCollection form, CancellationToken ct) =>
        Attachments.PhotoUploads.ReadAsync(form.Files.GetFiles("photos"), InspectorDesk.MaxPhotoBytes, ct);

    static string? Field(IFormCollection form, string name) => form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

    static ValidationProblem Refusal(PhoneException ex) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [ex.Field] = [ex.Message] }, detail: ex.Message,
            type: "https://cityloop.dev/problems/validation", title: "The request is invalid.");

    /// <summary>
    /// POST /api/v1/patrol/reports (multipart): categoryCode, description, lat, lon, address, photos; the Idempotency-Key
    /// header (a UUID the phone made when the report was typed) makes a resend return the same case.
    /// </summary>
    static async Task<Results<Created<PatrolReceipt>, Ok<PatrolReceipt>, ValidationProblem>> Report(HttpRequest request, CurrentActor current,
        InspectorDesk desk, CancellationToken ct)
    {
        if (!request.HasFormContentType) throw new BadHttpRequestException("Send the report as multipart/form-data.");
        var form = await request.ReadFormAsync(ct);
        var key = request.Headers["Idempotency-Key"].ToString();
        try
        {
            var receipt = await desk.ReportAsync(await current.GetAsync(),
                new PatrolReportInput(Field(form, "categoryCode"), Field(form, "description"), Field(form, "lat"), Field(form, "lon"), Field(form, "address"), Field(form, "accuracy")),
                await PhotosAsync(form, ct), string.IsNullOrEmpty(key) ? Field(form, "key") : key, ct);
            return receipt.Replayed ? TypedResults.Ok(receipt) : TypedResults.Created($"/api/v1/cases/{receipt.Id}", receipt);
        }
        catch (PhoneException ex)
        {
            return Refusal(ex);
        }
    }

    /// <summary>POST /api/v1/patrol/tasks/{id} (multipart): verdict (pass|fail), opinion, version, photos.</summary>
    static async Task<Results<Ok<CaseDto>, ValidationProblem>> Complete(Guid id, HttpRequest request, CurrentActor current, InspectorDesk desk,
        CaseQueries queries, CancellationToken ct)
    {
        if (!request.HasFormContentType) throw new BadHttpRequestException("Send the verdict as multipart/form-data.");
        var form = await request.ReadFormAsync(ct);
        var actor = await current.GetAsync();
        try
        {
            var verdict = new TaskVerdict(ParseVerdict(Field(form, "verdict")), Field(form, "opinion"), int.TryParse(Field(form, "version"), out var v) ? v : null);
            var c = await desk.CompleteAsync(actor, id, verdict, await PhotosAsync(form, ct), ct);
            return TypedResults.Ok(queries.ToDto(c, actor));
        }
        catch (PhoneException ex)
        {
            return Refusal(ex);
        }
    }

    public static bool? ParseVerdict(string? text) => text switch
    {
        "pass" or "true" or "confirmed" => true,
        "fail" or "false" or "not-confirmed" => false,
        _ => null,
    };
}
