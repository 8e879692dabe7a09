using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Shared;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Account;

/// <summary>
/// Sign-in: the password, then, for an account with a second factor, the code. Between the two steps the page holds a
/// protected, five-minute ticket naming the account, never the password.
/// </summary>
public sealed class LoginModel(Accounts accounts, IOptions<SecurityOptions> security, IDataProtectionProvider protection) : PageModel
{
    [BindProperty] public string? UserName { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty] public string? Code { get; set; }
    [BindProperty] public string? Pending { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }
    public bool AskCode => !string.IsNullOrEmpty(Pending);

    ITimeLimitedDataProtector Protector => protection.CreateProtector("CityLoop.SignIn.SecondFactor").ToTimeLimitedDataProtector();

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? LocalRedirect(Target()) : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        Identity.SignInResult result;
        if (AskCode)
        {
            Guid? userId = null;
            try
            {
                userId = Guid.Parse(Protector.Unprotect(Pending!));
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or FormatException)
            {
                Pending = null;
            }
            result = userId is { } id ? await accounts.SecondFactorAsync(id, Code, "ui") : new(SignInOutcome.BadCredentials, null, "");
        }
        else result = await accounts.SignInAsync(UserName, Password, "ui");
        Password = null;
        Code = null;
        if (result.Outcome == SignInOutcome.SecondFactorRequired && result.User is not null)
        {
            Pending = Protector.Protect(result.User.Id.ToString(), TimeSpan.FromMinutes(5));
            return Page();
        }
        if (result.Outcome != SignInOutcome.Success || result.User is null)
        {
            Error = result.Outcome switch
            {
                SignInOutcome.LockedOut => Ui.Pick($"账号已锁定，请 {security.Value.LockoutMinutes} 分钟后再试。",
                    $"The account is locked; try again in {security.Value.LockoutMinutes} minutes."),
                SignInOutcome.Disabled => Ui.Pick("账号已停用，请联系系统管理员。", "The account is disabled; ask the system administrator."),
                _ when AskCode => Ui.Pick("动态验证码错误。", "Wrong code."),
                _ => Ui.Pick("用户名或密码错误。", "Wrong user name or password."),
            };
            if (result.Outcome != SignInOutcome.BadCredentials) Pending = null;
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            Accounts.Principal(result.User, CookieAuthenticationDefaults.AuthenticationScheme));
        // A new account, or a password past its maximum age, is changed before anything else (等保 2.0).
        if (accounts.PasswordExpired(result.User))
            return RedirectToPage("/Account/Password", new { returnUrl = Target() });
        if (!result.User.TotpEnabled && TwoFactor.Required(result.User, security.Value))
            return RedirectToPage("/Account/TwoFactor", new { returnUrl = Target() });
        return LocalRedirect(Target());
    }

    string Target() => !string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/";
}
