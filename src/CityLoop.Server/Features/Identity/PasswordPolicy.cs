namespace CityLoop.Server.Features.Identity;

/// <summary>等保 2.0 password complexity: length and four character classes.</summary>
public static class PasswordPolicy
{
    public const int MinLength = 10;

    public static string? Check(string? password, string? userName = null)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinLength)
            return $"A password has at least {MinLength} characters.";
        var classes = new[] { password.Any(char.IsUpper), password.Any(char.IsLower), password.Any(char.IsDigit), password.Any(c => !char.IsLetterOrDigit(c)) };
        if (classes.Count(x => x) < 4)
            return "A password mixes upper-case and lower-case letters, digits and symbols.";
        if (userName is { Length: > 0 } && password.Contains(userName, StringComparison.OrdinalIgnoreCase))
            return "A password does not contain the user name.";
        return null;
    }
}
