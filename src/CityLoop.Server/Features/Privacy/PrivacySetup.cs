using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Privacy;

public sealed record PhoneRequest(string? Phone);
public sealed record CallerDto(string? Name, string? Address, IReadOnlyList<CallerCaseDto> Cases);
public sealed record CallerCaseDto(Guid Id, string Number, string State, DateTimeOffset CreatedAt, string Description, string? Address);

public static class PrivacySetup
{
    /// <summary>The services shared by the web server and the command-line verbs (the key ring itself comes with the database).</summary>
    public static void AddPrivacyServices(this IServiceCollection services)
    {
        services.AddScoped<AuditChain>();
        services.AddScoped<CitizenData>();
        services.AddScoped<DataRekey>();
    }

    public static void AddPrivacy(this IServiceCollection services)
    {
        services.AddOptions<KeyManagementOptions>().Configure<PersonalDataKeys>((o, keys) => o.XmlEncryptor = new KeyRingXmlEncryptor(keys));
        services.AddHostedService<PrivacyWorker>();
    }

    public static void MapPrivacyEndpoints(this IEndpointRouteBuilder app)
    {
        var citizens = app.MapGroup("/api/v1/privacy/citizens").WithTags("Privacy").RequireAuthorization(AuthSetup.ApiPolicy);
        // POST with the number in the body: a phone number never appears in a URL or an access log.
        citizens.MapPost("/lookup", async (PhoneRequest body, CurrentActor current, CitizenData data, CancellationToken ct) =>
            TypedResults.Ok(await data.LookupAsync(body.Phone, await current.GetAsync(), ct)));
        citizens.MapPost("/export", async (PhoneRequest body, CurrentActor current, CitizenData data, HttpContext http, CancellationToken ct) =>
        {
            var export = await data.ExportAsync(body.Phone, await current.GetAsync(), ct);
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"citizen-data-{export.GeneratedAt:yyyyMMddHHmmss}.json\"";
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(export);
        });
        citizens.MapPost("/erase", async (PhoneRequest body, CurrentActor current, CitizenData data, CancellationToken ct) =>
            TypedResults.Ok(await data.EraseAsync(body.Phone, await current.GetAsync(), ct)));

        app.MapPost("/api/v1/callers/lookup", CallerLookup).WithTags("Cases").RequireAuthorization(AuthSetup.ApiPolicy);
        app.MapGet("/api/v1/admin/audit/verify", async (CurrentActor current, AuditChain chain, CancellationToken ct) =>
        {
            await IdentityEndpoints.Require(current, Role.AuditAdmin);
            return TypedResults.Ok(await chain.VerifyAsync(ct));
        }).WithTags("Administration").RequireAuthorization(AuthSetup.ApiPolicy);
    }

    /// <summary>
    /// The hotline's caller pop-up: who this number is and what they reported before. Only the roles that talk to
    /// citizens (and see reporters in clear) may search by phone; for anyone else it would unmask reporters.
    /// </summary>
    static async Task<Ok<CallerDto>> CallerLookup(PhoneRequest body, CurrentActor current, Data.CityLoopDb db, Cases.CaseQueries queries, CancellationToken ct)
    {
        var actor = await current.GetAsync();
        if (!actor.Roles.Any(Roles.ReporterContact.Contains)) throw new Domain.Cases.CaseForbiddenException("Only hotline and intake staff look callers up by phone.");
        if (PersonalDataKeys.Normalise(body.Phone) is null) throw Domain.Cases.CaseValidationException.Single("phone", "Give a phone number.");
        // The cases the person sees (decision 026): a sub-centre's staff their platform's, as the desk's caller panel.
        var cases = await queries.Visible(actor, db.Cases.AsNoTracking()).WithReporterPhone(db.PersonalData, body.Phone!)
            .OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Number).Take(20).ToListAsync(ct);
        var latest = cases.FirstOrDefault(c => c.ReporterName is not null);
        return TypedResults.Ok(new CallerDto(latest?.ReporterName, cases.FirstOrDefault(c => c.ReporterAddress is not null)?.ReporterAddress,
            cases.Select(c => new CallerCaseDto(c.Id, c.Number, c.State.Api(), c.CreatedAt, c.Description, c.Address)).ToList()));
    }
}

/// <summary>
/// Chains new audit records every few seconds (requests never wait on the chain) and, about hourly, anonymises
/// expired reporter data and purges audit records past their retention.
/// </summary>
public sealed class PrivacyWorker(IServiceScopeFactory scopes, PersonalDataKeys keys, IOptions<PrivacyOptions> options, TimeProvider clock, ILogger<PrivacyWorker> log) : BackgroundService
{
    public override Task StartAsync(CancellationToken ct)
    {
        // Without the key file the server must not start: it could neither store nor read callers' data.
        keys.EnsureLoaded();
        return base.StartAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var o = options.Value;
        if (o.WorkerSeconds <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(o.WorkerSeconds));
        DateTimeOffset? lastRetention = null;
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<AuditChain>().ChainPendingAsync(ct);
                var now = clock.GetUtcNow();
                if (lastRetention is null || now - lastRetention >= TimeSpan.FromMinutes(Math.Max(1, o.RetentionPassMinutes)))
                {
                    lastRetention = now;
                    var anonymised = await scope.ServiceProvider.GetRequiredService<CitizenData>().AnonymiseExpiredAsync(ct);
                    var purged = await scope.ServiceProvider.GetRequiredService<AuditChain>().PurgeExpiredAsync(CitizenData.RetentionWorker.Id, CitizenData.RetentionWorker.Name, ct);
                    if (anonymised + purged > 0) log.LogInformation("Retention: {Cases} cases anonymised, {Records} audit records purged", anonymised, purged);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogError(ex, "Privacy worker pass failed; the next one picks up where it stopped");
            }
        } while (await timer.WaitForNextTickAsync(ct));
    }
}
