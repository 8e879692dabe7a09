using System.Text.Json;
using System.Text.Json.Serialization;
using CityLoop.Domain.Cases;
using Microsoft.AspNetCore.Http.Features;

namespace CityLoop.Server.Infrastructure;

/// <summary>
/// The API boundary's share of <see cref="InputLimits"/>: no path, query value or form field with a character the
/// databases cannot store, no oversized JSON body, no JSON string over the general ceiling, no non-finite number.
/// Field-specific limits are checked where each request is read.
/// </summary>
public static class InputGuard
{
    /// <summary>A query value or form field (other than a file) longer than this is refused.</summary>
    public const int MaxQueryValue = 2000;

    public static void AddConverters(JsonSerializerOptions o)
    {
        o.Converters.Add(new StorableStringConverter());
        o.Converters.Add(new FiniteDoubleConverter());
    }

    public static IApplicationBuilder UseInputGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        if (Problem(request) is { } problem)
        {
            await Refuse(http, problem);
            return;
        }
        // JSON bodies are small; a server that accepts megabytes of them only invites memory exhaustion.
        if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true
            && http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = InputLimits.JsonBodyBytes;
        if (request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(http.RequestAborted);
            }
            catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
            {
                await Refuse(http, "The form could not be read: " + ex.Message);
                return;
            }
            foreach (var (key, values) in form)
                if (ValueProblem("form field " + key, key, values) is { } formProblem)
                {
                    await Refuse(http, formProblem);
                    return;
                }
            foreach (var file in form.Files)
                if (InputLimits.TextProblem(file.FileName, 255) is not null)
                {
                    await Refuse(http, "A file name is over 255 characters or holds a character that cannot be stored.");
                    return;
                }
        }
        await next();
    });

    static string? Problem(HttpRequest request)
    {
        if (!InputLimits.IsStorable(request.Path.Value)) return "The path holds a character that cannot be stored.";
        foreach (var (key, values) in request.Query)
            if (ValueProblem("query parameter " + key, key, values) is { } p) return p;
        return null;
    }

    static string? ValueProblem(string what, string key, Microsoft.Extensions.Primitives.StringValues values)
    {
        if (!InputLimits.IsStorable(key)) return $"A {what.Split(' ')[0]} name holds a character that cannot be stored.";
        foreach (var v in values)
        {
            if (v is null) continue;
            if (v.Length > MaxQueryValue) return $"The {what} is over {MaxQueryValue} characters.";
            if (!InputLimits.IsStorable(v)) return $"The {what} holds a character that cannot be stored (NUL, U+FFFE, U+FFFF or a broken surrogate pair).";
        }
        return null;
    }

    static async Task Refuse(HttpContext http, string detail)
    {
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = 400, Title = "The request could not be read.", Detail = detail, Type = "https://cityloop.dev/problems/bad-request" },
        });
    }

    /// <summary>Every string read from JSON: storable and under the general ceiling.</summary>
    sealed class StorableStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException($"Expected a string, not {reader.TokenType}.");
            var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            // Escaped text is at most six bytes a character and UTF-8 at least one: refuse before allocating.
            if (length > InputLimits.AnyString * 6L) throw new JsonException($"A text is over {InputLimits.AnyString} characters.");
            var s = reader.GetString()!;
            if (s.Length > InputLimits.AnyString) throw new JsonException($"A text is over {InputLimits.AnyString} characters.");
            if (!InputLimits.IsStorable(s)) throw new JsonException("A text holds a character that cannot be stored (NUL, U+FFFE, U+FFFF or a broken surrogate pair).");
            return s;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>Numbers are finite: "NaN" and "Infinity" (even as strings) are refused.</summary>
    sealed class FiniteDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            double value;
            if (reader.TokenType == JsonTokenType.Number)
            {
                if (!reader.TryGetDouble(out value)) throw new JsonException("The number is out of range.");
            }
            else if (reader.TokenType == JsonTokenType.String
                && double.TryParse(reader.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                value = parsed;
            else throw new JsonException($"Expected a number, not {reader.TokenType}.");
            if (!double.IsFinite(value)) throw new JsonException("Numbers must be finite (no NaN or Infinity).");
            return value;
        }

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}

/// <summary>Page numbers: 1 to <see cref="InputLimits.MaxPage"/>, so that an offset never overflows.</summary>
public static class Paging
{
    public static int Page(int? page)
    {
        if (page is null) return 1;
        if (page is < 1 or > InputLimits.MaxPage) throw CaseValidationException.Single("page", $"A page is from 1 to {InputLimits.MaxPage}.");
        return page.Value;
    }
}
