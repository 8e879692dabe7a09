using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CityLoop.Server.Features.Account;

/// <summary>Change one's own password; the sign-in page sends new and expired accounts here first.</summary>
[Authorize]
public sealed class PasswordModel(Accounts accounts, CurrentActor current) : PageModel
{
    [BindProperty] public string? CurrentPassword { get; set; }
    [BindProperty] public string? NewPassword { get; set; }
    [BindProperty] public string? Confirm { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (NewPassword != Confirm)
        {
            Error = Ui.Pick("两次输入的新密码不一致。", "The new passwords do not match.");
            return Page();
        }
        var actor = await current.GetAsync();
        try
        {
            await accounts.ChangePasswordAsync(Guid.Parse(actor.Id), CurrentPassword, NewPassword);
        }
        catch (CaseValidationException ex)
        {
            Error = ex.Errors.ContainsKey("currentPassword")
                ? Ui.Pick("当前密码不正确。", "The current password is wrong.")
                : Ui.Pick($"新密码不符合要求：至少 {PasswordPolicy.MinLength} 位，包含大写字母、小写字母、数字和符号，且不含用户名，不能与当前密码相同。",
                    $"The new password needs at least {PasswordPolicy.MinLength} characters mixing upper-case, lower-case, digits and symbols, without the user name, different from the current one.");
            return Page();
        }
        return LocalRedirect(!string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }
}
