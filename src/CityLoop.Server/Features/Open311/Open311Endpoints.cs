using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Identity;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Shared;
using CityLoop.Server.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Open311;

/// <summary>
/// The Open311 GeoReport v2 server under /open311/v2 (docs/decisions/016): discovery, services from the category
/// catalogue, service definitions, create through the one intake door, tokens, queries, one request, and
/// FixMyStreet's servicerequestupdates. Reads show public fields only; a client with its key also sees its own
/// confidential requests, never anyone's reporter data.
/// </summary>
public static class Open311Endpoints
{
    public const string Base = "/open311/v2";
    public const string Specification = "http://wiki.open311.org/GeoReport_v2";

    public static void MapOpen311Endpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Base).WithTags("Open311").AllowAnonymous().ExcludeFromDescription()
            .RequireScope(ApiScope.Open311).RequireRateLimiting(RateLimits.Open311);
        g.MapGet("/discovery.{format}", (string format, HttpContext http, Open311Api api) => api.Discovery(Fmt(format), http));
        g.MapGet("/services.{format}", (string format, HttpContext http, Open311Api api) => api.Services(Fmt(format), http.Request.Query));
        g.MapGet("/services/{code}.{format}", (string code, string format, HttpContext http, Open311Api api) => api.Definition(code, Fmt(format), http.Request.Query));
        g.MapPost("/requests.{format}", (string format, HttpContext http, Open311Api api, CancellationToken ct) => api.CreateAsync(Fmt(format), http, ct))
            .DisableAntiforgery();
        g.MapGet("/requests.{format}", (string format, HttpContext http, Open311Api api, CancellationToken ct) => api.QueryAsync(Fmt(format), http.Request.Query, ct));
        g.MapGet("/requests/{id}.{format}", (string id, string format, HttpContext http, Open311Api api, CancellationToken ct) => api.OneAsync(id, Fmt(format), http.Request.Query, ct));
        g.MapGet("/tokens/{token}.{format}", (string token, string format, HttpContext http, Open311Api api, CancellationToken ct) => api.TokenAsync(token, Fmt(format), http.Request.Query, ct));
        g.MapGet("/servicerequestupdates.{format}", (string format, HttpContext http, Open311Api api, CancellationToken ct) => api.UpdatesAsync(Fmt(format), http.Request.Query, ct));
    }

    static Open311Format Fmt(string format) => Open311Writer.TryFormat(format, out var f) ? f
        : throw Open311Exception.NotFound($"The format '{format}' is not offered: use .xml or .json.");
}

/// <summary>One request to the Open311 API: the handlers behind <see cref="Open311Endpoints"/>.</summary>
public sealed class Open311Api(CityLoopDb db, ReferenceCache reference, IOptions<Open311Options> options, IOptions<PlatformOptions> platform,
    TimeProvider clock, CaseCommands commands, Open311Link link)
{
    /// <summary>The spec's default and largest query: 90 days, 1000 requests.</summary>
    public static readonly TimeSpan MaxSpan = TimeSpan.FromDays(90);
    public const int MaxPageSize = 1000;
    const int MaxMediaUrls = 5;
    const int MaxIds = 1000;

    readonly Open311Options _o = options.Value;
    readonly PlatformOptions _platform = platform.Value;
    TimeZoneInfo Zone => _platform.Zone;
    string Jurisdiction => string.IsNullOrWhiteSpace(_o.JurisdictionId) ? _platform.Code : _o.JurisdictionId.Trim();
    string ServiceType => string.Equals(_o.ServiceType, "batch", StringComparison.OrdinalIgnoreCase) ? "batch" : "realtime";

    // ---- discovery and services -----------------------------------------------------------------------------

    public IResult Discovery(Open311Format format, HttpContext http)
    {
        var changeset = Changeset();
        var url = string.IsNullOrWhiteSpace(_o.PublicUrl) ? $"{http.Request.Scheme}://{http.Request.Host}{Open311Endpoints.Base}" : _o.PublicUrl.TrimEnd('/');
        var endpoint = Node.Object(
            ("specification", Node.Text(Open311Endpoints.Specification)),
            ("url", Node.Text(url)),
            ("changeset", Node.Text(changeset)),
            ("type", Node.Text(_o.EndpointType == "test" ? "test" : "production")),
            ("formats", Node.List("format", [Node.Text("text/xml"), Node.Text("application/json")])));
        var discovery = Node.Object(
            ("changeset", Node.Text(changeset)),
            ("contact", Node.Text(_o.Contact)),
            ("key_service", Node.Text(_o.KeyService)),
            ("endpoints", Node.List("endpoint", [endpoint])));
        return new Open311Result("discovery", discovery, format);
    }

    /// <summary>When the service list last changed: the current catalogue version's start (sortable).</summary>
    string Changeset() => reference.Catalogue.Current is { } v
        ? TimeZoneInfo.ConvertTime(v.EffectiveFrom, Zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + $" v{v.Version}"
        : "none";

    CatalogueVersion Catalogue => reference.Catalogue.Current ?? throw Open311Exception.BadRequest("The category catalogue is not loaded: no services are offered yet.");

    public IResult Services(Open311Format format, IQueryCollection q)
    {
        CheckJurisdiction(q);
        var catalogue = Catalogue;
        var services = catalogue.Leaves.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (Node)Service(catalogue, c)).ToList();
        return new Open311Result("services", Node.List("service", services), format);
    }

    ObjectNode Service(CatalogueVersion catalogue, Category c)
    {
        var (group, parent) = Groups(catalogue, c);
        var description = c.Conditions.Count > 0
            ? string.Join("；", c.Conditions.Select(f => f.Description))
            : string.Join(" · ", new[] { Labels.CategoryKind(c.Kind), group, parent }.Where(s => !string.IsNullOrEmpty(s)).Distinct());
        var keywords = string.Join(",", new[] { Labels.CategoryKind(c.Kind), group, parent }.Where(s => !string.IsNullOrEmpty(s)).Distinct());
        return Node.Object(
            ("service_code", Node.Text(c.Key)),
            ("service_name", Node.Text(c.Name)),
            ("description", Node.Text(description)),
            ("metadata", Node.Bool(true)),
            ("type", Node.Text(ServiceType)),
            ("keywords", Node.Text(keywords)),
            ("group", Node.Text(group)));
    }

    /// <summary>The top of the category's tree (大类 / 一级) and its direct parent where that is another level.</summary>
    static (string? Group, string? Parent) Groups(CatalogueVersion catalogue, Category c)
    {
        var parent = c.ParentKey is { } pk ? catalogue.Find(pk) : null;
        var top = parent;
        while (top?.ParentKey is { } tk && catalogue.Find(tk) is { } up) top = up;
        return (top?.Name, parent is not null && parent != top ? parent.Name : null);
    }

    Category Leaf(string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
            throw Open311Exception.BadRequest("service_code was not provided.");
        var c = Catalogue.Find(code.Trim());
        if (c is null || !c.IsLeaf) throw Open311Exception.NotFound($"service_code '{code}' was not found.");
        return c;
    }

    /// <summary>The attributes every service asks: the request type, the closest filing condition, confidentiality.</summary>
    public static IReadOnlyList<AttributeDefinition> Attributes(Category c)
    {
        var list = new List<AttributeDefinition>
        {
            new("request_type", "singlevaluelist", false, 1, $"诉求类型 / Request type (default: {Labels.RequestType(DefaultType(c))})",
                Enum.GetValues<RequestType>().Select(t => (Domain.Kebab.From(t.ToString()), Labels.RequestType(t))).ToList()),
        };
        if (c.Conditions.Count > 0)
            list.Add(new("condition", "singlevaluelist", false, 2, "最符合的情形 / Which describes the problem best",
                c.Conditions.Select(f => (f.Code, f.Description)).ToList()));
        list.Add(new("confidential", "singlevaluelist", false, 3, "为我的身份保密 / Keep my identity confidential (the report is then not published)",
            [("false", "否 / No"), ("true", "是 / Yes")]));
        return list;
    }

    static RequestType DefaultType(Category c) => c.Kind == CategoryKind.Hotline ? RequestType.Complaint : RequestType.Report;

    public sealed record AttributeDefinition(string Code, string Datatype, bool Required, int Order, string Description, IReadOnlyList<(string Key, string Name)> Values);

    public IResult Definition(string code, Open311Format format, IQueryCollection q)
    {
        CheckJurisdiction(q);
        var c = Leaf(code);
        var attributes = Attributes(c).Select(a => (Node)Node.Object(
            ("variable", Node.Bool(true)),
            ("code", Node.Text(a.Code)),
            ("datatype", Node.Text(a.Datatype)),
            ("required", Node.Bool(a.Required)),
            ("datatype_description", Node.Text(null)),
            ("order", Node.Integer(a.Order)),
            ("description", Node.Text(a.Description)),
            ("values", Node.List("value", a.Values.Select(v => (Node)Node.Object(("key", Node.Text(v.Key)), ("name", Node.Text(v.Name)))))))).ToList();
        return new Open311Result("service_definition", Node.Object(("service_code", Node.Text(c.Key)), ("attributes", Node.List("attribute", attributes))), format);
    }

    void CheckJurisdiction(IQueryCollection q) => CheckJurisdiction(q["jurisdiction_id"].FirstOrDefault());

    void CheckJurisdiction(string? given)
    {
        // One jurisdiction: the parameter may be left out, but a wrong one is a resource that does not exist here.
        if (!string.IsNullOrWhiteSpace(given) && !string.Equals(given.Trim(), Jurisdiction, StringComparison.OrdinalIgnoreCase))
            throw Open311Exception.NotFound($"jurisdiction_id '{given}' was not found: this endpoint serves '{Jurisdiction}'.");
    }

    // ---- keys -----------------------------------------------------------------------------------------------

    /// <summary>The client behind an api_key with the open311 scope; a bad key is a 403 whatever the method.</summary>
    async Task<ApiKey?> ClientAsync(string? apiKey, bool required, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            if (required) throw Open311Exception.Forbidden("api_key was not provided: creating a request needs an API key.");
            return null;
        }
        var key = await ApiKeyAuthentication.FindAsync(db, apiKey, clock.GetUtcNow(), ct);
        if (key is null) throw Open311Exception.Forbidden("Invalid api_key received: it is unknown or revoked.");
        if (!key.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(ApiScope.Open311))
            throw Open311Exception.Forbidden("This api_key is not issued for Open311 (it lacks the 'open311' scope).");
        return key;
    }

    static string? Value(IFormCollection f, string name) => f[name].FirstOrDefault() is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
    static string? Value(IQueryCollection q, string name) => q[name].FirstOrDefault() is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    // ---- create ---------------------------------------------------------------------------------------------

    public async Task<IResult> CreateAsync(Open311Format format, HttpContext http, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
            throw Open311Exception.BadRequest("Send the request as application/x-www-form-urlencoded (Content-Type: application/x-www-form-urlencoded; charset=utf-8), or as multipart/form-data to upload photos in the field media.");
        var form = await http.Request.ReadFormAsync(ct);
        var key = (await ClientAsync(Value(form, "api_key") ?? http.Request.Headers[ApiKeyAuthentication.Header].FirstOrDefault(), true, ct))!;
        CheckJurisdiction(Value(form, "jurisdiction_id"));
        var service = Leaf(Value(form, "service_code"));

        var errors = new List<(int, string)>();
        void Check(string name, string? value, int max)
        {
            if (InputLimits.TextProblem(value, max) is { } problem) errors.Add((400, $"{name}: {problem}"));
        }
        var description = Value(form, "description");
        var address = Value(form, "address_string");
        var first = Value(form, "first_name");
        var last = Value(form, "last_name");
        var phone = Value(form, "phone");
        Check("description", description, InputLimits.Description);
        Check("address_string", address, InputLimits.Address);
        Check("first_name", first, InputLimits.PersonName);
        Check("last_name", last, InputLimits.PersonName);
        Check("phone", phone, InputLimits.Phone);
        Check("email", Value(form, "email"), InputLimits.Email);
        Check("account_id", Value(form, "account_id"), InputLimits.ExternalId);

        double? lat = Coordinate(form, "lat", 90, errors), lon = Coordinate(form, "long", 180, errors);
        if ((lat is null) != (lon is null) && !errors.Any(e => e.Item2.StartsWith("lat", StringComparison.Ordinal) || e.Item2.StartsWith("long", StringComparison.Ordinal)))
            errors.Add((400, "lat and long must be sent together."));
        if (lat is null && lon is null && address is null)
            errors.Add((400, Value(form, "address_id") is not null
                ? "address_id cannot be resolved here (there is no shared address register): send lat and long, or address_string."
                : "A location is required: lat and long, or address_string."));

        var media = form["media_url"].Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => u!.Trim()).Distinct().ToList();
        if (media.Count > MaxMediaUrls) errors.Add((400, $"media_url: at most {MaxMediaUrls} URLs."));
        foreach (var u in media)
            if (u.Length > 2000 || InputLimits.TextProblem(u, 2000) is not null || !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                errors.Add((400, $"media_url: '{Clip(u)}' is not an http or https URL."));

        var uploads = ReadUploads(form, media.Count, errors);

        var answers = ReadAttributes(form, service, errors);
        if (errors.Count > 0) throw new Open311Exception(400, errors);

        var type = answers.TryGetValue("request_type", out var t) && Domain.Kebab.TryParse<RequestType>(t[0], out var parsed) ? parsed : DefaultType(service);
        var condition = answers.TryGetValue("condition", out var cond) ? service.Conditions.First(f => f.Code == cond[0]) : null;
        var confidential = answers.TryGetValue("confidential", out var conf) && conf[0] == "true";
        var input = new NewCase
        {
            Source = CaseSource.Open311,
            RequestType = type,
            CategoryCode = service.Key,
            Title = condition?.Description ?? service.Name,
            Description = description ?? condition?.Description ?? service.Name,
            Latitude = lat,
            Longitude = lon,
            Address = address,
            ReporterName = Name(first, last),
            ReporterPhone = phone,
            Confidential = confidential,
        };
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        link.Pending = new Open311Request
        {
            Client = key.Name, Token = token, ServiceCode = service.Key, CreatedAt = clock.GetUtcNow(),
            Attributes = JsonSerializer.Serialize(answers.Select(a => new StoredAnswer(a.Key, a.Value))),
            MediaUrls = media.Count == 0 ? null : string.Join('\n', media),
        };
        var actor = new Actor("system:" + key.Name, key.Name, new HashSet<Role> { key.Role }, null, IsSystem: true);
        var result = await commands.IntakeAsync(input, actor, ct: ct);
        foreach (var u in uploads)
            await commands.StoreAttachmentAsync(result.Case, u.FileName, u.ContentType, u.Bytes, actor, ct, u.Thumbnail);
        var notice = $"已受理，案件编号 {result.Case.Number}。Received as case {result.Case.Number}.";
        var request = ServiceType == "batch"
            ? Node.Object(("token", Node.Text(token)), ("service_notice", Node.Text(notice)), ("account_id", Node.Text(Value(form, "account_id"))))
            : Node.Object(("service_request_id", Node.Text(result.Case.Number)), ("service_notice", Node.Text(notice)), ("account_id", Node.Text(Value(form, "account_id"))));
        return new Open311Result("service_requests", Node.List("request", [request]), format);
    }

    public sealed record StoredAnswer(string Code, IReadOnlyList<string> Values);

    /// <summary>A photo sent in the create request itself (multipart field <c>media</c>), checked and decoded before intake.</summary>
    public sealed record Upload(string FileName, string ContentType, byte[] Bytes, byte[] Thumbnail);

    /// <summary>Largest photo accepted in a multipart create.</summary>
    public const long MaxMediaBytes = 5 * 1024 * 1024;

    /// <summary>
    /// Photos uploaded with the request (<c>multipart/form-data</c>, field <c>media</c>, as Open311 servers such as
    /// Mark-a-Spot accept beside <c>media_url</c>). The bytes decide: each must decode as a JPEG, PNG or WebP image; the
    /// photos and the URLs together are at most <see cref="MaxMediaUrls"/>. Nothing is stored if any is refused.
    /// </summary>
    static List<Upload> ReadUploads(IFormCollection form, int urls, List<(int, string)> errors)
    {
        var files = form.Files.Where(f => f.Name is "media" or "media[]").ToList();
        var uploads = new List<Upload>();
        if (files.Count == 0) return uploads;
        if (files.Count + urls > MaxMediaUrls)
        {
            errors.Add((400, $"media: at most {MaxMediaUrls} photos and media_url together."));
            return uploads;
        }
        foreach (var (file, i) in files.Select((f, i) => (f, i + 1)))
        {
            // The one photo check of every channel; its refusal in both languages, as the service notice is.
            var name = Path.GetFileName(file.FileName ?? "") is { Length: > 0 } n ? n : $"media {i}";
            var bytes = ReadAtMost(file, MaxMediaBytes);
            try
            {
                var photo = Attachments.PhotoUploads.CheckOne(new Attachments.UploadedPhoto(name, bytes), MaxMediaBytes, $"open311-{i}");
                uploads.Add(new Upload(photo.FileName, photo.ContentType, photo.Bytes, photo.Thumbnail));
            }
            catch (Attachments.PhotoRefusal r)
            {
                errors.Add((400, $"media: {r.En} {r.Zh}"));
            }
        }
        return uploads;
    }

    /// <summary>A file's bytes, read no more than one buffer past the limit (the size check then refuses it).</summary>
    static byte[] ReadAtMost(IFormFile file, long limit)
    {
        using var ms = new MemoryStream();
        using var s = file.OpenReadStream();
        var buffer = new byte[81920];
        int n;
        while ((n = s.Read(buffer)) > 0 && ms.Length <= limit) ms.Write(buffer, 0, n);
        return ms.ToArray();
    }

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;

    /// <summary>Family name first for Chinese names (张 + 三), "first last" otherwise.</summary>
    static string? Name(string? first, string? last)
    {
        if (first is null || last is null) return first ?? last;
        var cjk = (first + last).Any(ch => ch is >= '\u4e00' and <= '\u9fff');
        return cjk ? last + first : first + " " + last;
    }

    static double? Coordinate(IFormCollection form, string name, double limit, List<(int, string)> errors)
    {
        var v = Value(form, name);
        if (v is null) return null;
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && Math.Abs(d) <= limit) return d;
        errors.Add((400, $"{name}: '{Clip(v)}' is not a WGS84 coordinate from -{limit} to {limit}."));
        return null;
    }

    /// <summary>
    /// <c>attribute[code]=v</c> and, for multivaluelist, <c>attribute[code][]=v1&amp;…</c>, checked against the service
    /// definition. Codes the service does not define are ignored (clients such as FixMyStreet send their own extras).
    /// </summary>
    static Dictionary<string, List<string>> ReadAttributes(IFormCollection form, Category service, List<(int, string)> errors)
    {
        var defined = Attributes(service).ToDictionary(a => a.Code);
        var answers = new Dictionary<string, List<string>>();
        foreach (var (name, values) in form)
        {
            if (!name.StartsWith("attribute[", StringComparison.Ordinal)) continue;
            var close = name.IndexOf(']');
            if (close < 0) continue;
            var code = name[10..close];
            if (!defined.TryGetValue(code, out var def)) continue;
            var given = values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList();
            if (given.Count == 0) continue;
            if (answers.TryGetValue(code, out var existing)) existing.AddRange(given);
            else answers[code] = given;
        }
        foreach (var def in defined.Values)
        {
            if (!answers.TryGetValue(def.Code, out var given))
            {
                if (def.Required) errors.Add((400, $"attribute[{def.Code}] is required for service_code {service.Key}."));
                continue;
            }
            if (def.Datatype == "singlevaluelist" && given.Count > 1) errors.Add((400, $"attribute[{def.Code}] takes one value."));
            foreach (var v in given)
                if (def.Values.Count > 0 && !def.Values.Any(x => x.Key == v))
                    errors.Add((400, $"attribute[{def.Code}]: '{Clip(v)}' is not one of {string.Join(", ", def.Values.Select(x => x.Key))}."));
        }
        return answers;
    }

    // ---- reads ----------------------------------------------------------------------------------------------

    /// <summary>
    /// What a reader may see: every case with a category that is not confidential, and with a key, the client's own
    /// requests as well. Reads never select reporter columns at all.
    /// </summary>
    IQueryable<Case> Visible(ApiKey? client)
    {
        var cases = db.Cases.AsNoTracking();
        if (client is null) return cases.Where(c => !c.Confidential && c.CategoryCode != null);
        var own = db.Set<Open311Request>().Where(r => r.Client == client.Name).Select(r => r.CaseId);
        return cases.Where(c => (!c.Confidential && c.CategoryCode != null) || own.Contains(c.Id));
    }

    sealed record Row(Guid Id, string Number, CaseState State, CaseSource Source, string? CategoryCode, string Description, string? LeadDepartment,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ClosedAt, DateTimeOffset? HandlingDueAt, DateTimeOffset? FinishedAt,
        bool SelfHandled, string? Address, double? Latitude, double? Longitude, string? Answer, string? Result);

    static IQueryable<Row> Rows(IQueryable<Case> q) => q.Select(c => new Row(c.Id, c.Number, c.State, c.Source, c.CategoryCode, c.Description,
        c.LeadDepartmentCode, c.CreatedAt, c.UpdatedAt, c.ClosedAt, c.HandlingDueAt, c.FinishedAt, c.SelfHandled, c.Address, c.Latitude, c.Longitude,
        c.Answer, c.Result));

    public async Task<IResult> OneAsync(string id, Open311Format format, IQueryCollection q, CancellationToken ct)
    {
        CheckJurisdiction(q);
        var client = await ClientAsync(Value(q, "api_key"), false, ct);
        var rows = await Rows(Visible(client).Where(c => c.Number == id)).ToListAsync(ct);
        // A confidential case and a missing one answer alike: its existence is not disclosed either.
        if (rows.Count == 0) throw Open311Exception.NotFound($"service_request_id '{id}' was not found.");
        return new Open311Result("service_requests", Node.List("request", await RequestsAsync(rows, Extensions(q), ct)), format);
    }

    static bool Extensions(IQueryCollection q) => string.Equals(Value(q, "extensions"), "true", StringComparison.OrdinalIgnoreCase);

    public async Task<IResult> QueryAsync(Open311Format format, IQueryCollection q, CancellationToken ct)
    {
        CheckJurisdiction(q);
        var client = await ClientAsync(Value(q, "api_key"), false, ct);
        var errors = new List<(int, string)>();
        var (page, size) = Paging(q, errors);
        var cases = Visible(client);
        if (Value(q, "service_request_id") is { } ids)
        {
            // The id list overrides every other filter.
            var numbers = ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
            if (numbers.Count > MaxIds) errors.Add((400, $"service_request_id: at most {MaxIds} ids."));
            if (errors.Count > 0) throw new Open311Exception(400, errors);
            cases = cases.Where(c => numbers.Contains(c.Number));
        }
        else
        {
            if (Value(q, "service_code") is { } codes)
            {
                var list = codes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
                cases = cases.Where(c => list.Contains(c.CategoryCode!));
            }
            if (Value(q, "status") is { } status)
            {
                var wanted = status.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).Distinct().ToList();
                if (wanted.Except(["open", "closed"]).FirstOrDefault() is { } bad) errors.Add((400, $"status: '{Clip(bad)}' is not open or closed."));
                else if (wanted.Count == 1)
                {
                    var terminal = CaseStates.Terminal.ToList();
                    cases = wanted[0] == "open" ? cases.Where(c => !terminal.Contains(c.State)) : cases.Where(c => terminal.Contains(c.State));
                }
            }
            var updatedAfter = Date(q, "updated_after", errors);
            var updatedBefore = Date(q, "updated_before", errors);
            var start = Date(q, "start_date", errors);
            var end = Date(q, "end_date", errors);
            if (start is not null && end is not null && end - start > MaxSpan) errors.Add((400, "start_date and end_date may not span more than 90 days."));
            if (start is not null && end is not null && end < start) errors.Add((400, "end_date is before start_date."));
            if (errors.Count > 0) throw new Open311Exception(400, errors);
            // Without dates the window is the last 90 days, unless the client asks by update time instead.
            if (start is null && end is null && updatedAfter is null && updatedBefore is null) start = clock.GetUtcNow() - MaxSpan;
            else if (start is not null && end is null) end = start + MaxSpan;
            else if (end is not null && start is null) start = end - MaxSpan;
            if (start is { } s) cases = cases.Where(c => c.CreatedAt >= s);
            if (end is { } e) cases = cases.Where(c => c.CreatedAt <= e);
            if (updatedAfter is { } ua) cases = cases.Where(c => c.UpdatedAt > ua);
            if (updatedBefore is { } ub) cases = cases.Where(c => c.UpdatedAt < ub);
        }
        if (errors.Count > 0) throw new Open311Exception(400, errors);
        var rows = await Rows(cases.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id)).Skip((page - 1) * size).Take(size).ToListAsync(ct);
        return new Open311Result("service_requests", Node.List("request", await RequestsAsync(rows, Extensions(q), ct)), format);
    }

    static (int Page, int Size) Paging(IQueryCollection q, List<(int, string)> errors)
    {
        int Int(string name, int fallback, int max)
        {
            var v = Value(q, name);
            if (v is null) return fallback;
            if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i >= 1 && i <= max) return i;
            errors.Add((400, $"{name}: '{Clip(v)}' is not a number from 1 to {max}."));
            return fallback;
        }
        return (Int("page", 1, InputLimits.MaxPage), Int("page_size", MaxPageSize, MaxPageSize));
    }

    static DateTimeOffset? Date(IQueryCollection q, string name, List<(int, string)> errors)
    {
        var v = Value(q, name);
        if (v is null) return null;
        if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)) return d.ToUniversalTime();
        errors.Add((400, $"{name}: '{Clip(v)}' is not a w3 date-time such as 2026-03-02T09:00:00+08:00."));
        return null;
    }

    async Task<List<Node>> RequestsAsync(List<Row> rows, bool extensions, CancellationToken ct)
    {
        if (rows.Count == 0) return [];
        var ids = rows.Select(r => r.Id).ToList();
        var links = await db.Set<Open311Request>().AsNoTracking().Where(r => ids.Contains(r.CaseId)).ToDictionaryAsync(r => r.CaseId, ct);
        var departments = await db.DepartmentNamesAsync(ct);
        var notes = extensions ? (await UpdateRows(db.CaseEvents.AsNoTracking().Where(e => ids.Contains(e.CaseId))).ToListAsync(ct)).ToLookup(u => u.CaseId) : null;
        var catalogue = reference.Catalogue;
        return rows.Select(r =>
        {
            links.TryGetValue(r.Id, out var link);
            var media = link?.MediaUrls?.Split('\n', StringSplitOptions.RemoveEmptyEntries) ?? [];
            var category = r.CategoryCode is null ? null : catalogue.Current?.Find(r.CategoryCode);
            var node = Node.Object(
                ("service_request_id", Node.Text(r.Number)),
                ("status", Node.Text(Open311Statuses.Status(r.State))),
                ("status_notes", Node.Text(Public(r.Answer ?? r.Result) ?? Labels.State(r.State))),
                ("service_name", Node.Text(category?.Name)),
                ("service_code", Node.Text(r.CategoryCode ?? "")),
                ("description", Node.Text(Public(r.Description))),
                ("agency_responsible", Node.Text(r.LeadDepartment is { } d ? departments.GetValueOrDefault(d, d) : null)),
                ("service_notice", Node.Text(null)),
                ("requested_datetime", Node.Time(r.CreatedAt, Zone)),
                ("updated_datetime", Node.Time(r.State.IsOpen() ? r.UpdatedAt : r.ClosedAt ?? r.UpdatedAt, Zone)),
                ("expected_datetime", Node.Time(r.HandlingDueAt, Zone)),
                ("address", Node.Text(r.Address)),
                ("address_id", Node.Text(null)),
                ("zipcode", Node.Text(null)),
                ("lat", Node.Number(r.Latitude)),
                ("long", Node.Number(r.Longitude)),
                ("media_url", Node.Text(media.FirstOrDefault())));
            if (notes is not null)
            {
                var answers = link is null ? [] : JsonSerializer.Deserialize<List<StoredAnswer>>(link.Attributes) ?? [];
                var definitions = category is null ? [] : Attributes(category);
                node.Add("attributes", Node.List("attribute", answers.SelectMany(a => a.Values.Select(v =>
                {
                    var def = definitions.FirstOrDefault(d => d.Code == a.Code);
                    return (Node)Node.Object(("label", Node.Text(def?.Description ?? a.Code)), ("name", Node.Text(a.Code)),
                        ("value", Node.Text(def?.Values.FirstOrDefault(x => x.Key == v).Name ?? v)), ("code", Node.Text(v)));
                }))));
                node.Add("extended_attributes", Node.Object(
                    ("channel", Node.Text(Domain.Kebab.From(r.Source.ToString()))),
                    ("status", Node.Text(Open311Statuses.ExtendedOf(r.State, r.FinishedAt is not null || r.SelfHandled))),
                    ("x", Node.Number(r.Longitude)),
                    ("y", Node.Number(r.Latitude)),
                    ("photos", Node.List("photo", media.Select(m => (Node)Node.Object(("media_url", Node.Text(m)), ("title", Node.Text("Submitted"))))))));
                node.Add("notes", Node.List("note", notes[r.Id].Select(u => (Node)Node.Object(
                    ("datetime", Node.Time(u.At, Zone)), ("description", Node.Text(UpdateText(u))), ("type", Node.Text(u.Action))))));
            }
            return (Node)node;
        }).ToList();
    }

    /// <summary>Free text shown to the public, with telephone numbers taken out (callers sometimes dictate them into descriptions).</summary>
    static string? Public(string? text) => text is null ? null : Privacy.AuditText.RedactPhones(text);

    // ---- tokens and updates -----------------------------------------------------------------------------------

    public async Task<IResult> TokenAsync(string token, Open311Format format, IQueryCollection q, CancellationToken ct)
    {
        CheckJurisdiction(q);
        var number = await db.Set<Open311Request>().AsNoTracking().Where(r => r.Token == token)
            .Join(db.Cases, r => r.CaseId, c => c.Id, (r, c) => c.Number).FirstOrDefaultAsync(ct);
        if (number is null) throw Open311Exception.NotFound($"token '{Clip(token)}' was not found.");
        var request = Node.Object(("service_request_id", Node.Text(number)), ("token", Node.Text(token)));
        return new Open311Result("service_requests", Node.List("request", [request]), format);
    }

    sealed record UpdateRow(long Id, Guid CaseId, string Number, string Action, CaseState ToState, DateTimeOffset At, string? Payload, DateTimeOffset? FinishedAt, bool SelfHandled);

    /// <summary>A status change is an update: every event that moved the case from one state to another.</summary>
    IQueryable<UpdateRow> UpdateRows(IQueryable<CaseEvent> events) =>
        from e in events
        where e.FromState != null && e.FromState != e.ToState
        join c in db.Cases on e.CaseId equals c.Id
        orderby e.Id
        select new UpdateRow(e.Id, c.Id, c.Number, e.Action, e.ToState, e.At, e.Payload, c.FinishedAt, c.SelfHandled);

    public async Task<IResult> UpdatesAsync(Open311Format format, IQueryCollection q, CancellationToken ct)
    {
        CheckJurisdiction(q);
        var client = await ClientAsync(Value(q, "api_key"), false, ct);
        var errors = new List<(int, string)>();
        var (page, size) = Paging(q, errors);
        var start = Date(q, "start_date", errors);
        var end = Date(q, "end_date", errors);
        if (start is not null && end is not null && end < start) errors.Add((400, "end_date is before start_date."));
        if (errors.Count > 0) throw new Open311Exception(400, errors);
        end ??= clock.GetUtcNow();
        start ??= end - MaxSpan;
        var visible = Visible(client).Select(c => c.Id);
        // The platform's code leads the (platform_code, at) index: a poll reads the window's events, not the whole log.
        var code = _platform.Code;
        var events = db.CaseEvents.AsNoTracking().Where(e => e.PlatformCode == code && e.At >= start && e.At <= end && visible.Contains(e.CaseId));
        if (Value(q, "service_request_id") is { } ids)
        {
            var numbers = ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().Take(MaxIds).ToList();
            var wanted = db.Cases.Where(c => numbers.Contains(c.Number)).Select(c => c.Id);
            events = events.Where(e => wanted.Contains(e.CaseId));
        }
        var rows = await UpdateRows(events).Skip((page - 1) * size).Take(size).ToListAsync(ct);
        var updates = rows.Select(u => (Node)Node.Object(
            ("update_id", Node.Text(u.Id.ToString(CultureInfo.InvariantCulture))),
            ("service_request_id", Node.Text(u.Number)),
            ("status", Node.Text(u.Action == "reopen" ? "REOPEN" : Open311Statuses.ExtendedOf(u.ToState, u.FinishedAt is not null || u.SelfHandled))),
            ("updated_datetime", Node.Time(u.At, Zone)),
            ("description", Node.Text(UpdateText(u))),
            ("media_url", Node.Text(null)),
            ("external_status_code", Node.Text(Domain.Kebab.From(u.ToState.ToString()))))).ToList();
        return new Open311Result("service_request_updates", Node.List("request_update", updates), format);
    }

    /// <summary>The public words of an update: the reply or result it carried, else the new state's name.</summary>
    static string UpdateText(UpdateRow u)
    {
        if (u.Payload is not null && u.Action is "answer-directly" or "finish" or "self-handle" or "close")
        {
            using var doc = JsonDocument.Parse(u.Payload);
            foreach (var name in new[] { "answer", "result" })
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
                    return Public(v.GetString())!;
        }
        return Labels.State(u.ToState);
    }
}
