using CityLoop.Server.Data;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Account;

/// <summary>Enrols a second factor: a QR code and the key to type, confirmed with a first code.</summary>
[Authorize]
public sealed class TwoFactorModel(CurrentActor current, CityLoopDb db, Audit audit, TimeProvider clock) : PageModel
{
    [BindProperty] public string? Code { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }
    public bool Enabled { get; private set; }
    public string? Secret { get; private set; }
    public string? QrCode { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostAsync()
    {
        var actor = await current.GetAsync();
        if (await TwoFactor.ConfirmAsync(db, audit, Guid.Parse(actor.Id), Code, clock.GetUtcNow()))
            return LocalRedirect(!string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
        Error = Ui.Pick("验证码不正确，请输入应用中当前显示的六位数字。", "The code is wrong: enter the six digits the app shows now.");
        await LoadAsync();
        return Page();
    }

    async Task LoadAsync()
    {
        var actor = await current.GetAsync();
        var id = Guid.Parse(actor.Id);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == id);
        Enabled = user.TotpEnabled;
        if (Enabled) return;
        Secret = user.TotpSecret ?? await TwoFactor.BeginAsync(db, id);
        QrCode = TwoFactor.QrDataUri(TwoFactor.Uri(Secret, user.UserName));
    }
}
