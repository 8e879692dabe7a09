using System.Security.Cryptography;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Cases;

public sealed class NewCaseForm
{
    public CaseSource Source { get; set; } = CaseSource.Hotline;
    public RequestType RequestType { get; set; } = RequestType.Complaint;
    public string? Title { get; set; }
    public string? CategoryCode { get; set; }
    public string? Description { get; set; }
    public string? Address { get; set; }
    public double? Lat { get; set; }
    public double? Lon { get; set; }
    public string? ReporterName { get; set; }
    public string? ReporterPhone { get; set; }
    public string? ReporterAddress { get; set; }
    public bool Confidential { get; set; }
    public bool Anonymous { get; set; }
    public Urgency Urgency { get; set; } = Urgency.Normal;
    /// <summary>A 市派 entered by hand: the upper platform's case number (filed once in the deployment, decision 026).</summary>
    public string? UpperNumber { get; set; }
    /// <summary>Made when the form is shown, so a double-clicked or re-sent form registers one case, not two.</summary>
    public string? IdempotencyKey { get; set; }

    public CreateCaseRequest ToRequest() => new(Source, RequestType, Description, Title, string.IsNullOrWhiteSpace(CategoryCode) ? null : CategoryCode.Trim(),
        Lat is null && Lon is null ? null : new LocationDto(Lat, Lon), Address, null,
        new ReporterInput(ReporterName, ReporterPhone, Confidential, Anonymous, ReporterAddress), Confidential, Anonymous, Urgency,
        Source == CaseSource.UpperPlatform && !string.IsNullOrWhiteSpace(UpperNumber) ? UpperNumber.Trim() : null);
}

/// <summary>The intake form: the same request and the same command as POST /api/v1/cases.</summary>
public sealed class NewModel(CurrentActor current, CaseCommands commands) : PageModel
{
    [BindProperty] public NewCaseForm Form { get; set; } = new();
    public DeskError? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!await MayCreateAsync()) return Forbid();
        Form.IdempotencyKey = Guid.NewGuid().ToString("N");
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!await MayCreateAsync()) return Forbid();
        var actor = await current.GetAsync();
        try
        {
            if (!ModelState.IsValid)
                throw new CaseValidationException(ModelState.Where(e => e.Value!.Errors.Count > 0)
                    .ToDictionary(e => e.Key.Replace("Form.", ""), e => e.Value!.Errors.Select(x => x.ErrorMessage).ToArray()));
            var request = Form.ToRequest();
            var hash = Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request)));
            var key = string.IsNullOrWhiteSpace(Form.IdempotencyKey) ? null : "ui:" + Form.IdempotencyKey;
            var result = await commands.IntakeAsync(request.ToNewCase(), actor, key, hash, ct);
            if (result.QueryCode is not null) TempData["QueryCode"] = result.QueryCode;
            return Redirect($"/Cases/{result.Case.Id}");
        }
        catch (Exception ex) when (DeskErrors.Describe(ex) is { } error)
        {
            Error = error;
            return Page();
        }
    }

    async Task<bool> MayCreateAsync() => (await current.GetAsync()).Roles.Any(TransitionTable.CreateRoles.Contains);
}
