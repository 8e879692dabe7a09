namespace CityLoop.Domain.Cases;

/// <summary>
/// How much a client may send, in one place: every text has a length limit, every coordinate is finite and on the
/// globe, and no text holds a character one of the databases cannot store (PostgreSQL refuses NUL in text) or that is
/// not a character at all (unpaired surrogates, U+FFFE, U+FFFF). The API checks these at its boundary (bodies, query
/// strings, route values); the domain checks a new case again, so that every channel is held to them.
/// </summary>
public static class InputLimits
{
    /// <summary>Codes and identifiers that are indexed: category, department, grid, standard item, component, user.</summary>
    public const int Code = 64;
    public const int ExternalId = 128;
    public const int Phone = 32;
    public const int Email = 254;
    public const int PersonName = 100;
    public const int Title = 200;
    public const int Description = 4000;
    public const int Address = 500;
    /// <summary>Opinions, reasons, answers, results, comments, supervision requirements and replies.</summary>
    public const int Opinion = 2000;
    /// <summary>Filter values, search words, transfer targets, case numbers.</summary>
    public const int Short = 200;
    /// <summary>A ceiling for any one string in a JSON body, whatever its field: the per-field limits are lower.</summary>
    public const int AnyString = 20_000;
    /// <summary>Items in a list in a request (assisting departments, attachment ids, case ids of an order).</summary>
    public const int ListItems = 100;
    /// <summary>A JSON request body: the largest legitimate one (an order with a long requirement) is a few kilobytes.</summary>
    public const int JsonBodyBytes = 1024 * 1024;
    public const int MaxPage = 100_000;
    public const int MaxPageSize = 500;

    /// <summary>Whether a text can be stored and read back by both databases and is made of characters only.</summary>
    public static bool IsStorable(string? text)
    {
        if (text is null) return true;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch == '\0' || ch == '\uFFFE' || ch == '\uFFFF') return false;
            if (char.IsHighSurrogate(ch))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(ch)) return false;
        }
        return true;
    }

    /// <summary>What is wrong with a text for a field with at most <paramref name="max"/> characters, or null.</summary>
    public static string? TextProblem(string? text, int max)
    {
        if (text is null) return null;
        if (text.Length > max) return $"At most {max} characters.";
        return IsStorable(text) ? null : "The text holds a character that cannot be stored (NUL, U+FFFE, U+FFFF or a broken surrogate pair).";
    }

    public static bool IsLatitude(double? v) => v is null || (double.IsFinite(v.Value) && v.Value is >= -90 and <= 90);
    public static bool IsLongitude(double? v) => v is null || (double.IsFinite(v.Value) && v.Value is >= -180 and <= 180);

    /// <summary>Adds the limit violations of a new case to <paramref name="errors"/> (keys are the API's field names).</summary>
    public static void Check(NewCase input, IDictionary<string, string[]> errors)
    {
        Text(errors, "description", input.Description, Description);
        Text(errors, "title", input.Title, Title);
        Text(errors, "categoryCode", input.CategoryCode, Code);
        Text(errors, "address", input.Address, Address);
        Text(errors, "componentId", input.ComponentId, Code);
        Text(errors, "externalId", input.ExternalId, ExternalId);
        Text(errors, "reporter.name", input.ReporterName, PersonName);
        Text(errors, "reporter.phone", input.ReporterPhone, Phone);
        Text(errors, "repeatOf", input.RepeatOfNumber, Short);
        if (!IsLatitude(input.Latitude)) errors["location.lat"] = ["Latitude is a finite number between -90 and 90."];
        if (!IsLongitude(input.Longitude)) errors["location.lon"] = ["Longitude is a finite number between -180 and 180."];
    }

    /// <summary>Throws <see cref="CaseValidationException"/> when an action's input breaks a limit.</summary>
    public static void Check(ActionInput input)
    {
        var errors = new Dictionary<string, string[]>();
        Text(errors, "opinion", input.Opinion, Opinion);
        Text(errors, "reason", input.Reason, Opinion);
        Text(errors, "answer", input.Answer, Opinion);
        Text(errors, "result", input.Result, Opinion);
        Text(errors, "comment", input.Comment, Opinion);
        Text(errors, "target", input.Target, Short);
        Text(errors, "targetCase", input.TargetCase, Short);
        Text(errors, "inspector", input.Inspector, Code);
        Text(errors, "categoryCode", input.CategoryCode, Code);
        Text(errors, "standardItem", input.StandardItem, Code);
        Text(errors, "leadDepartment", input.LeadDepartment, Code);
        Text(errors, "assignee", input.Assignee, Code);
        Text(errors, "team", input.Team, Code);
        Text(errors, "platform", input.Platform, Code);
        if (input.AssistingDepartments is { } assisting)
        {
            if (assisting.Count > ListItems) errors["assistingDepartments"] = [$"At most {ListItems} departments."];
            else if (assisting.Any(d => d is null)) errors["assistingDepartments"] = ["A department code cannot be null."];
            else foreach (var d in assisting) Text(errors, "assistingDepartments", d, Code);
        }
        if (input.AttachmentIds is { Count: > ListItems }) errors["attachmentIds"] = [$"At most {ListItems} attachments."];
        if (errors.Count > 0) throw new CaseValidationException(errors);
    }

    static void Text(IDictionary<string, string[]> errors, string field, string? value, int max)
    {
        if (TextProblem(value, max) is { } problem) errors[field] = [problem];
    }
}
