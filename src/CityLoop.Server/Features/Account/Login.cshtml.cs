using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Account;

public sealed class LoginModel(Accounts accounts, IOptions<SecurityOptions> security) : PageModel
{
    [BindProperty] public string? UserName { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? LocalRedirect(Target()) : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        var result = await accounts.SignInAsync(UserName, Password, "ui");
        if (result.Outcome != SignInOutcome.Success || result.User is null)
        {
            Error = result.Outcome switch
            {
                SignInOutcome.LockedOut => Ui.Pick($"账号已锁定，请 {security.Value.LockoutMinutes} 分钟后再试。",
                    $"The account is locked; try again in {security.Value.LockoutMinutes} minutes."),
                SignInOutcome.Disabled => Ui.Pick("账号已停用，请联系系统管理员。", "The account is disabled; ask the system administrator."),
                _ => Ui.Pick("用户名或密码错误。", "Wrong user name or password."),
            };
            Password = null;
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            Accounts.Principal(result.User, CookieAuthenticationDefaults.AuthenticationScheme));
        // A new account, or a password past its maximum age, is changed before anything else (等保 2.0).
        if (accounts.PasswordExpired(result.User))
            return RedirectToPage("/Account/Password", new { returnUrl = Target() });
        return LocalRedirect(Target());
    }

    string Target() => !string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/Cases";
}
