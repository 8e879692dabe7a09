using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using CityLoop.Domain.Cases;
using CityLoop.Server.Features.Demo;
using CityLoop.Server.Features.Open311;
using CityLoop.Server.Tests.Infrastructure;

namespace CityLoop.Server.Tests.Open311;

/// <summary>
/// The Open311 GeoReport v2 contract, written from the specification (GeoReport/v2/index.md, Service_Discovery.md,
/// Extensions.md) and its JSON Schemas (Open311/Spec): JSON answers are validated against the schemas, XML answers
/// are checked for the spec's element names, and a client that parses like FixMyStreet's drives the server.
/// </summary>
public abstract class Open311ContractTests<TApp>(TApp app) where TApp : AppFixture
{
    const string Base = "/open311/v2";
    static readonly string SpecDir = Path.Combine(AppContext.BaseDirectory, "Open311", "Spec");

    /// <summary>The fields of a request in GET requests, in the spec's order.</summary>
    static readonly string[] RequestFields =
    [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
        "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
        "lat", "long", "media_url",
    ];

    FixMyStreetClient Fms(string? key = DemoSeeder.DemoOpen311Key, HttpClient? http = null) => new(http ?? app.Anonymous(), Base, key);

    static List<KeyValuePair<string, string>> Report(string description, bool confidential = false, string service = "C0101", string phone = "13912345678",
        string first = "三", string last = "张") =>
    [
        new("service_code", service), new("lat", "24.6951"), new("long", "108.0586"), new("address_string", "金城中路 12 号"),
        new("description", description), new("first_name", first), new("last_name", last), new("email", "zhang.san@example.org"),
        new("phone", phone), new("account_id", "fms-77"), new("media_url", "https://fms.example.org/photo/1.jpeg"),
        new("attribute[request_type]", "complaint"), new("attribute[condition]", service + "-01"),
        new("attribute[confidential]", confidential ? "true" : "false"), new("attribute[uprn]", "100023336956"),
    ];

    static async Task<string> Valid(string schemaFile, string json)
    {
        var schema = await NJsonSchema.JsonSchema.FromFileAsync(Path.Combine(SpecDir, schemaFile));
        var errors = schema.Validate(json);
        Assert.True(errors.Count == 0, $"{schemaFile}: {string.Join("; ", errors.Select(e => e.ToString()))}\n{json}");
        return json;
    }

    static async Task<XDocument> Xml(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}: {(int)response.StatusCode} {body}");
        Assert.Equal("text/xml; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", body, StringComparison.Ordinal);
        return XDocument.Parse(body);
    }

    static async Task<string> Json(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return body;
    }

    /// <summary>The spec's error body: HTTP status as given, and a list of {code, description}.</summary>
    static async Task<List<(string Code, string Description)>> XmlErrors(HttpResponseMessage response, HttpStatusCode status)
    {
        var doc = await Xml(response, status);
        Assert.Equal("errors", doc.Root!.Name.LocalName);
        var errors = doc.Root.Elements().ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e =>
        {
            Assert.Equal("error", e.Name.LocalName);
            Assert.Equal(["code", "description"], e.Elements().Select(x => x.Name.LocalName));
            Assert.False(string.IsNullOrWhiteSpace(e.Element("description")!.Value));
        });
        return errors.Select(e => (e.Element("code")!.Value, e.Element("description")!.Value)).ToList();
    }

    static async Task<JsonElement> JsonErrors(HttpResponseMessage response, HttpStatusCode status)
    {
        var errors = JsonDocument.Parse(await Json(response, status)).RootElement;
        Assert.Equal(JsonValueKind.Array, errors.ValueKind);
        Assert.All(errors.EnumerateArray(), e =>
        {
            Assert.Equal(JsonValueKind.Number, e.GetProperty("code").ValueKind);
            Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("description").GetString()));
        });
        return errors;
    }

    async Task<JsonElement> StaffCase(string number)
    {
        var intake = await app.As("intake");
        var found = await Api.Get(intake, $"/api/v1/cases?q={number}");
        var id = found.GetProperty("items").EnumerateArray().Single(c => c.GetProperty("number").GetString() == number).Id();
        return await Api.Get(intake, $"/api/v1/cases/{id}");
    }

    [Fact]
    public async Task TheSchemas_RejectADocumentThatBreaksThem()
    {
        // The validator is not vacuous: a request without its id, with an unknown status and a text latitude fails.
        var schema = await NJsonSchema.JsonSchema.FromFileAsync(Path.Combine(SpecDir, "requests.json"));
        var errors = schema.Validate("""[{"status":"pending","service_code":"C0101","requested_datetime":"yesterday","lat":"24.69"}]""");
        var found = string.Join("; ", errors.Select(e => e.ToString()));
        foreach (var kind in new[] { "PropertyRequired", "NotInEnumeration", "DateTimeExpected", "NumberExpected" }) Assert.Contains(kind, found);
    }

    [Fact]
    public async Task Discovery_InXmlAndJson_NamesTheEndpointItsFormatsAndHowToGetAKey()
    {
        var http = app.Anonymous();
        var xml = await Xml(await http.GetAsync($"{Base}/discovery.xml"));
        Assert.Equal("discovery", xml.Root!.Name.LocalName);
        Assert.Equal(["changeset", "contact", "key_service", "endpoints"], xml.Root.Elements().Select(e => e.Name.LocalName));
        var endpoint = xml.Root.Element("endpoints")!.Elements("endpoint").Single();
        Assert.Equal("http://wiki.open311.org/GeoReport_v2", endpoint.Element("specification")!.Value);
        Assert.EndsWith("/open311/v2", endpoint.Element("url")!.Value);
        Assert.Contains(endpoint.Element("type")!.Value, new[] { "production", "test" });
        Assert.Equal(["text/xml", "application/json"], endpoint.Element("formats")!.Elements("format").Select(f => f.Value));

        var json = JsonDocument.Parse(await Json(await http.GetAsync($"{Base}/discovery.json"))).RootElement;
        Assert.Equal(xml.Root.Element("changeset")!.Value, json.GetProperty("changeset").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("key_service").GetString()));
        var jsonEndpoint = json.GetProperty("endpoints").EnumerateArray().Single();
        Assert.Equal(["text/xml", "application/json"], jsonEndpoint.GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task Services_AreTheCatalogueLeaves_ValidAgainstTheSchema_AndTheSameInXml()
    {
        var http = app.Anonymous();
        var json = await Valid("services.json", await Json(await http.GetAsync($"{Base}/services.json")));
        var services = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        var leaves = app.Service<Features.Reference.ReferenceCache>().Catalogue.Current!.Leaves.Select(c => c.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(leaves, services.Select(s => s.GetProperty("service_code").GetString()));
        var manhole = services.Single(s => s.GetProperty("service_code").GetString() == "C0101");
        Assert.Equal("上水井盖", manhole.GetProperty("service_name").GetString());
        Assert.Equal("公用设施", manhole.GetProperty("group").GetString());
        Assert.True(manhole.GetProperty("metadata").GetBoolean());
        Assert.Equal("realtime", manhole.GetProperty("type").GetString());

        // FixMyStreet's reading of the XML: a forced array of services with the same codes.
        var list = await Fms(null).GetServiceListAsync();
        var fmsServices = Assert.IsType<List<object?>>(list!["service"]).Cast<Dictionary<string, object?>>().ToList();
        Assert.Equal(leaves, fmsServices.Select(s => (string)s["service_code"]!));
        Assert.Equal("true", fmsServices.First(s => (string)s["service_code"]! == "C0101")["metadata"]);
    }

    [Fact]
    public async Task ServiceDefinition_ListsTheAttributes_ValidAgainstTheSchema_AndUnknownCodesAre404()
    {
        var http = app.Anonymous();
        var json = await Valid("service-definition.json", await Json(await http.GetAsync($"{Base}/services/C0101.json")));
        var definition = JsonDocument.Parse(json).RootElement;
        Assert.Equal("C0101", definition.GetProperty("service_code").GetString());
        var attributes = definition.GetProperty("attributes").EnumerateArray().ToList();
        Assert.Equal(["request_type", "condition", "confidential"], attributes.Select(a => a.GetProperty("code").GetString()));
        Assert.Equal([1, 2, 3], attributes.Select(a => a.GetProperty("order").GetInt32()));
        Assert.Contains(attributes[1].GetProperty("values").EnumerateArray(), v => v.GetProperty("key").GetString() == "C0101-01");

        var meta = await Fms(null).GetServiceMetaInfoAsync("C0101");
        var fmsAttributes = Assert.IsType<List<object?>>(meta!["attributes"]).Cast<Dictionary<string, object?>>().ToList();
        Assert.Equal("singlevaluelist", fmsAttributes[0]["datatype"]);
        Assert.Null(fmsAttributes[0]["datatype_description"]);
        var values = Assert.IsType<List<object?>>(fmsAttributes[2]["values"]).Cast<Dictionary<string, object?>>().ToList();
        Assert.Equal(["false", "true"], values.Select(v => (string)v["key"]!));

        var missing = await XmlErrors(await http.GetAsync($"{Base}/services/C9999.xml"), HttpStatusCode.NotFound);
        Assert.Contains("C9999", missing.Single().Description);
        Assert.Equal("404", missing.Single().Code);
        await JsonErrors(await http.GetAsync($"{Base}/services/E01.json"), HttpStatusCode.NotFound);  // a 大类 is not a service
        await XmlErrors(await http.GetAsync($"{Base}/services.xml?jurisdiction_id=sfgov.org"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{Base}/services.xml?jurisdiction_id=451202")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{Base}/services.xml?jurisdiction_id=")).StatusCode);
    }

    [Fact]
    public async Task Create_ThroughTheIntakeDoor_ReachesTheDesks_WithTheReporterProtected_AndReadsShowPublicFieldsOnly()
    {
        var fms = Fms();
        var id = await fms.SendServiceRequestAsync(Report("金城中路井盖不见了，很危险"));
        Assert.True(id is not null, fms.Error);
        Assert.Matches(@"^451202-\d{8}-\d{6}$", id);

        // The case as staff see it: an Open311 case of the service's category, the reporter held like any caller's.
        var staff = await StaffCase(id!);
        Assert.Equal("open311", staff.GetProperty("source").GetString());
        Assert.Equal("C0101", staff.GetProperty("categoryCode").GetString());
        Assert.Equal("上水井盖缺失", staff.GetProperty("title").GetString());
        Assert.Equal("complaint", staff.GetProperty("requestType").GetString());
        Assert.Equal("张三", staff.GetProperty("reporter").GetProperty("name").GetString());
        Assert.Equal("13912345678", staff.GetProperty("reporter").GetProperty("phone").GetString());
        var dispatcherView = await Api.Get(await app.As("dispatcher"), $"/api/v1/cases/{staff.Id()}");
        Assert.True(dispatcherView.GetProperty("reporter").GetProperty("masked").GetBoolean());

        // Filed, it is on the dispatcher's desk.
        await Api.ActOk(await app.As("leader"), staff.Id(), "file", new { standardItem = "C0101-01" });
        var queue = await Api.Get(await app.As("dispatcher"), "/api/v1/cases?state=pending-dispatch&source=open311&pageSize=500");
        Assert.Contains(queue.GetProperty("items").EnumerateArray(), c => c.GetProperty("number").GetString() == id);

        // Anyone reads it back, in JSON valid against the schema and in XML with the spec's fields, without the reporter.
        var http = app.Anonymous();
        var json = await Valid("requests.json", await Json(await http.GetAsync($"{Base}/requests/{id}.json")));
        var request = JsonDocument.Parse(json).RootElement.EnumerateArray().Single();
        Assert.Equal(id, request.GetProperty("service_request_id").GetString());
        Assert.Equal("open", request.GetProperty("status").GetString());
        Assert.Equal("上水井盖", request.GetProperty("service_name").GetString());
        Assert.Equal("https://fms.example.org/photo/1.jpeg", request.GetProperty("media_url").GetString());
        Assert.Equal(24.6951, request.GetProperty("lat").GetDouble());
        Assert.EndsWith("+08:00", request.GetProperty("requested_datetime").GetString());
        var xml = await Xml(await http.GetAsync($"{Base}/requests/{id}.xml"));
        Assert.Equal("service_requests", xml.Root!.Name.LocalName);
        Assert.Equal(RequestFields, xml.Root.Elements("request").Single().Elements().Select(e => e.Name.LocalName));
        foreach (var text in new[] { json, xml.ToString() })
        {
            Assert.DoesNotContain("13912345678", text);
            Assert.DoesNotContain("张三", text);
            Assert.DoesNotContain("zhang.san", text);
            Assert.DoesNotContain("fms-77", text);
        }
    }

    static MultipartFormDataContent Multipart(IEnumerable<KeyValuePair<string, string>> form, params (string Name, byte[] Bytes)[] photos)
    {
        var content = new MultipartFormDataContent();
        foreach (var (k, v) in form) content.Add(new StringContent(v), k);
        foreach (var (name, bytes) in photos)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg"); // the claim is ignored: the bytes decide
            content.Add(part, "media", name);
        }
        return content;
    }

    [Fact]
    public async Task Create_WithPhotosUploaded_StoresThemOnTheCase_AndRefusesWhatIsNotAPhoto_StoringNothing()
    {
        var http = app.Anonymous();
        var form = Report("路灯杆倾斜，附照片").Where(p => p.Key != "media_url").Append(new("api_key", DemoSeeder.DemoOpen311Key)).ToList();
        var created = await Json(await http.PostAsync($"{Base}/requests.json", Multipart(form, ("near.jpg", TestImages.Jpeg(40, 30)), ("far.png", TestImages.Png(30, 20)))));
        var id = JsonDocument.Parse(created).RootElement.EnumerateArray().Single().GetProperty("service_request_id").GetString()!;

        // Staff find both photos on the case, with thumbnails, typed by their bytes (the PNG was claimed to be a JPEG).
        var staff = await StaffCase(id);
        var files = await Api.Get(await app.As("intake"), $"/api/v1/cases/{staff.Id()}/attachments");
        var photos = files.EnumerateArray().ToList();
        Assert.Equal(2, photos.Count);
        Assert.Equal(["image/jpeg", "image/png"], photos.Select(p => p.GetProperty("contentType").GetString()).Order());
        Assert.All(photos, p => Assert.True(p.GetProperty("hasThumbnail").GetBoolean()));
        // A photo is not a public field: reads name no URL for it.
        var read = JsonDocument.Parse(await Json(await http.GetAsync($"{Base}/requests/{id}.json"))).RootElement.EnumerateArray().Single();
        Assert.Equal(JsonValueKind.Null, read.GetProperty("media_url").ValueKind);

        // A PDF, a fake image and too many photos are refused in Open311's error format, and no case is made.
        var before = (await Api.Get(await app.As("intake"), "/api/v1/cases?source=open311&pageSize=1")).GetProperty("total").GetInt32();
        var pdf = "%PDF-1.4 not a photo"u8.ToArray();
        var fake = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4 };
        var refused = await XmlErrors(await http.PostAsync($"{Base}/requests.xml", Multipart(form, ("a.jpg", TestImages.Jpeg()), ("doc.jpg", pdf), ("broken.jpg", fake))), HttpStatusCode.BadRequest);
        Assert.Equal(2, refused.Count);
        Assert.All(refused, e => Assert.Contains("only JPEG, PNG and WebP images can be uploaded", e.Description));
        Assert.Contains(refused, e => e.Description.Contains("'doc.jpg' is not a photo"));
        Assert.Contains(refused, e => e.Description.Contains("'broken.jpg' cannot be read as a picture"));
        var many = Enumerable.Range(1, 5).Select(i => ($"p{i}.jpg", TestImages.Jpeg())).ToArray();
        var tooMany = await JsonErrors(await http.PostAsync($"{Base}/requests.json", Multipart(form.Append(new("media_url", "https://fms.example.org/x.jpg")), many)), HttpStatusCode.BadRequest);
        Assert.Contains("at most 5", tooMany.EnumerateArray().Single().GetProperty("description").GetString());
        var after = (await Api.Get(await app.As("intake"), "/api/v1/cases?source=open311&pageSize=1")).GetProperty("total").GetInt32();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Create_Refusals_UseOpen311Errors_WithTheSpecsStatusCodes()
    {
        var http = app.Anonymous();
        Task<HttpResponseMessage> Post(string format, IEnumerable<KeyValuePair<string, string>> form) =>
            http.PostAsync($"{Base}/requests.{format}", new FormUrlEncodedContent(form));
        var good = Report("路灯不亮").Append(new("api_key", DemoSeeder.DemoOpen311Key)).ToList();
        List<KeyValuePair<string, string>> Without(string name) => good.Where(p => p.Key != name).ToList();
        List<KeyValuePair<string, string>> With(string name, string value) => Without(name).Append(new(name, value)).ToList();

        await XmlErrors(await Post("xml", Without("api_key")), HttpStatusCode.Forbidden);
        var bad = await XmlErrors(await Post("xml", With("api_key", "nope.nope")), HttpStatusCode.Forbidden);
        Assert.Contains("api_key", bad.Single().Description);
        await JsonErrors(await Post("json", With("api_key", "")), HttpStatusCode.Forbidden);

        // A key the security administrator issued for another channel is no Open311 key.
        var security = await app.As("security");
        var camera = await (await security.PostAsJsonAsync("/api/v1/admin/api-keys", new { name = "cam-" + Guid.NewGuid().ToString("N")[..6], role = "camera-channel", scopes = new[] { "cases:create" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        await XmlErrors(await Post("xml", With("api_key", camera.GetProperty("key").GetString()!)), HttpStatusCode.Forbidden);

        var noCode = await JsonErrors(await Post("json", Without("service_code")), HttpStatusCode.BadRequest);
        Assert.Contains("service_code", noCode[0].GetProperty("description").GetString());
        await XmlErrors(await Post("xml", With("service_code", "C9999")), HttpStatusCode.NotFound);
        await XmlErrors(await Post("xml", With("jurisdiction_id", "sfgov.org")), HttpStatusCode.NotFound);
        var nowhere = good.Where(p => p.Key is not ("lat" or "long" or "address_string")).ToList();
        Assert.Contains("location", (await XmlErrors(await Post("xml", nowhere), HttpStatusCode.BadRequest)).Single().Description);
        // Several mistakes at once: one error each.
        var many = await XmlErrors(await Post("xml", With("attribute[condition]", "X-1").Where(p => p.Key != "long").Append(new("lat", "91")).ToList()), HttpStatusCode.BadRequest);
        Assert.True(many.Count >= 2, string.Join(" | ", many));
        Assert.Contains(many, e => e.Description.Contains("attribute[condition]"));
        await XmlErrors(await http.PostAsJsonAsync($"{Base}/requests.xml", new { service_code = "C0101" }), HttpStatusCode.BadRequest);

        // The door stayed shut: none of these made a case.
        var before = (await Api.Get(await app.As("intake"), "/api/v1/cases?source=open311&q=路灯不亮")).GetProperty("total").GetInt32();
        Assert.Equal(0, before);
    }

    [Fact]
    public async Task ErrorsOnAnyOpen311Route_AreOpen311Errors()
    {
        var http = app.Anonymous();
        Assert.Equal("404", (await XmlErrors(await http.GetAsync($"{Base}/nothing-here.xml"), HttpStatusCode.NotFound)).Single().Code);
        await JsonErrors(await http.GetAsync($"{Base}/requests/451202-20200101-999999.json"), HttpStatusCode.NotFound);
        await XmlErrors(await http.GetAsync($"{Base}/services.html"), HttpStatusCode.NotFound);
        // A wrong method is "any other error": HTTP 400, the body's code says 405.
        Assert.Equal("405", (await XmlErrors(await http.DeleteAsync($"{Base}/services.xml"), HttpStatusCode.BadRequest)).Single().Code);
        // The input guard's refusal (a NUL) comes in the same format.
        await XmlErrors(await http.GetAsync($"{Base}/requests.xml?service_code=%00"), HttpStatusCode.BadRequest);
        var dates = await XmlErrors(await http.GetAsync($"{Base}/requests.xml?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"), HttpStatusCode.BadRequest);
        Assert.Contains("90 days", dates.Single().Description);
        await XmlErrors(await http.GetAsync($"{Base}/requests.xml?status=pending"), HttpStatusCode.BadRequest);
        await XmlErrors(await http.GetAsync($"{Base}/requests.xml?page_size=0"), HttpStatusCode.BadRequest);
        await XmlErrors(await http.GetAsync($"{Base}/requests.xml?api_key=wrong"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Batch_AnswersWithAToken_ThatTheFixMyStreetClientPollsIntoTheId()
    {
        await using var batch = app.NewFactory(new Dictionary<string, string> { ["Open311:ServiceType"] = "batch" });
        var http = batch.CreateClient();
        var services = JsonDocument.Parse(await Json(await http.GetAsync($"{Base}/services.json"))).RootElement;
        Assert.All(services.EnumerateArray(), s => Assert.Equal("batch", s.GetProperty("type").GetString()));

        var posted = await Xml(await http.PostAsync($"{Base}/requests.xml", new FormUrlEncodedContent(Report("批量模式井盖").Append(new("api_key", DemoSeeder.DemoOpen311Key)))),
            HttpStatusCode.OK);
        var request = posted.Root!.Elements("request").Single();
        // The spec: a token is returned instead of the id, never both.
        Assert.Null(request.Element("service_request_id"));
        var token = request.Element("token")!.Value;
        var resolved = JsonDocument.Parse(await Json(await http.GetAsync($"{Base}/tokens/{token}.json"))).RootElement.EnumerateArray().Single();
        Assert.Equal(token, resolved.GetProperty("token").GetString());

        var fms = Fms(http: batch.CreateClient());
        var id = await fms.SendServiceRequestAsync(Report("批量模式路灯"));
        Assert.True(id is not null, fms.Error);
        Assert.Equal("open", (await fms.GetServiceRequestsAsync([new("service_request_id", id!)]))!.Single()["status"]);
        await XmlErrors(await http.GetAsync($"{Base}/tokens/0123456789abcdef.xml"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Confidential_IsNeverPublished_ButItsOwnClientFollowsIt()
    {
        var fms = Fms();
        var secret = await fms.SendServiceRequestAsync(Report("保密举报：夜间偷排污水", confidential: true));
        var open = await fms.SendServiceRequestAsync(Report("公开：井盖松动"));
        Assert.True(secret is not null && open is not null, fms.Error);
        var http = app.Anonymous();
        await XmlErrors(await http.GetAsync($"{Base}/requests/{secret}.xml"), HttpStatusCode.NotFound);
        var listed = await Fms(null).GetServiceRequestsAsync([new("service_request_id", $"{secret},{open}")]);
        Assert.Equal([open], listed!.Select(r => (string)r["service_request_id"]!));
        var all = await Json(await http.GetAsync($"{Base}/requests.json?service_code=C0101"));
        Assert.DoesNotContain(secret!, all);
        Assert.DoesNotContain("偷排", all);

        // Its own client, with its key, sees it (still without the reporter); another client's key does not.
        var own = await Valid("requests.json", await Json(await http.GetAsync($"{Base}/requests/{secret}.json?api_key={DemoSeeder.DemoOpen311Key}")));
        Assert.DoesNotContain("13912345678", own);
        var other = await OtherClientKey();
        await JsonErrors(await http.GetAsync($"{Base}/requests/{secret}.json?api_key={other}"), HttpStatusCode.NotFound);
    }

    async Task<string> OtherClientKey()
    {
        var security = await app.As("security");
        var created = await security.PostAsJsonAsync("/api/v1/admin/api-keys", new { name = "fms-" + Guid.NewGuid().ToString("N")[..6], role = "open311-client", scopes = new[] { "open311" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    [Fact]
    public async Task AKeyIssuedByTheSecurityAdministrator_CreatesRequests()
    {
        var key = await OtherClientKey();
        Assert.Contains('.', key);
        var fms = Fms(key);
        var id = await fms.SendServiceRequestAsync(Report("新客户端：路面塌陷", service: "E0101"));
        Assert.True(id is not null, fms.Error);
        Assert.Equal("open311", (await StaffCase(id!)).GetProperty("source").GetString());
    }

    [Fact]
    public async Task Queries_FilterByCodeStatusDatesAndUpdates_AndPage()
    {
        var fms = Fms();
        var first = await fms.SendServiceRequestAsync(Report("查询一：雨水井盖", service: "C0103"));
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await fms.SendServiceRequestAsync(Report("查询二：雨水井盖", service: "C0103"));
        Assert.True(first is not null && second is not null, fms.Error);
        var http = app.Anonymous();

        async Task<List<string>> Ids(string query)
        {
            var json = await Valid("requests.json", await Json(await http.GetAsync($"{Base}/requests.json?{query}")));
            return JsonDocument.Parse(json).RootElement.EnumerateArray().Select(r => r.GetProperty("service_request_id").GetString()!).ToList();
        }

        var byCode = await Ids("service_code=C0103,C0102");
        Assert.Equal([second!, first!], byCode.Where(i => i == first || i == second));
        Assert.All(JsonDocument.Parse(await Json(await http.GetAsync($"{Base}/requests.json?service_code=C0103"))).RootElement.EnumerateArray(),
            r => Assert.Equal("C0103", r.GetProperty("service_code").GetString()));
        Assert.Empty((await Ids("service_code=C0103&status=closed")).Intersect([first!, second!]));
        Assert.Equal(2, (await Ids("service_code=C0103&status=open")).Intersect([first!, second!]).Count());
        // The id list overrides the other filters.
        Assert.Equal([first!], await Ids($"service_request_id={first}&service_code=E0101&status=closed"));

        var now = app.Clock.GetUtcNow();
        string W3(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        Assert.DoesNotContain(first!, await Ids($"service_code=C0103&start_date={W3(now.AddMinutes(-2))}&end_date={W3(now.AddMinutes(1))}"));
        Assert.Contains(second!, await Ids($"service_code=C0103&start_date={W3(now.AddMinutes(-2))}&end_date={W3(now.AddMinutes(1))}"));
        Assert.Empty((await Ids($"service_code=C0103&end_date={W3(now.AddDays(-100))}")).Intersect([first!, second!]));
        Assert.Equal([second!], (await Ids($"updated_after={W3(now.AddMinutes(-2))}")).Intersect([first!, second!]));
        Assert.Equal([first!], (await Ids($"service_code=C0103&updated_before={W3(now.AddMinutes(-2))}")).Intersect([first!, second!]));

        var page1 = await Ids("service_code=C0103&page_size=1");
        var page2 = await Ids("service_code=C0103&page_size=1&page=2");
        Assert.Single(page1);
        Assert.Single(page2);
        Assert.NotEqual(page1, page2);
    }

    [Fact]
    public async Task StatusChanges_ShowInQueries_Extensions_AndServiceRequestUpdates()
    {
        var fms = Fms();
        var start = app.Clock.GetUtcNow();
        var id = await fms.SendServiceRequestAsync(Report("状态跟踪：污水井盖缺失", service: "C0102"));
        Assert.True(id is not null, fms.Error);
        var caseId = (await StaffCase(id!)).Id();
        var steps = new (string User, string Action, object Body)[]
        {
            ("leader", "file", new { standardItem = "C0102-01" }),
            ("dispatcher", "dispatch", new { leadDepartment = "SZGLC" }),
            ("handler", "sign-for", new { }),
            ("handler", "finish", new { result = "已补装井盖，联系电话 13800001111" }),
            ("inspector", "check-pass", new { }),
            ("leader", "close", new { standardItem = "C0102-01" }),
        };
        foreach (var (user, action, body) in steps)
        {
            app.Clock.Advance(TimeSpan.FromMinutes(10));
            await Api.ActOk(await app.As(user), caseId, action, body);
        }
        var http = app.Anonymous();
        var json = await Valid("requests.json", await Json(await http.GetAsync($"{Base}/requests.json?service_request_id={id}&extensions=true")));
        var request = JsonDocument.Parse(json).RootElement.EnumerateArray().Single();
        Assert.Equal("closed", request.GetProperty("status").GetString());
        Assert.Equal("已补装井盖，联系电话 [phone]", request.GetProperty("status_notes").GetString());
        Assert.Equal("市政管理处", request.GetProperty("agency_responsible").GetString());
        var extended = request.GetProperty("extended_attributes");
        Assert.Equal("FIXED", extended.GetProperty("status").GetString());
        Assert.Equal("open311", extended.GetProperty("channel").GetString());
        Assert.Contains(request.GetProperty("attributes").EnumerateArray(), a => a.GetProperty("name").GetString() == "condition" && a.GetProperty("code").GetString() == "C0102-01");
        Assert.Equal(["file", "dispatch", "sign-for", "finish", "check-pass", "close"],
            request.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("type").GetString()));
        // Without extensions the answer is the plain spec's.
        var plain = await Xml(await http.GetAsync($"{Base}/requests/{id}.xml"));
        Assert.Equal(RequestFields, plain.Root!.Elements("request").Single().Elements().Select(e => e.Name.LocalName));

        // FixMyStreet's update fetch: each status change once, in order, with the extended statuses.
        string W3(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        var fetched = await fms.GetServiceRequestUpdatesAsync(W3(start), W3(app.Clock.GetUtcNow().AddMinutes(1)));
        Assert.True(fetched is not null, fms.Error);
        var updates = fetched
            .Where(u => (string?)u["service_request_id"] == id).ToList();
        Assert.Equal(["ACTION_SCHEDULED", "ACTION_SCHEDULED", "IN_PROGRESS", "IN_PROGRESS", "FIXED", "FIXED"], updates.Select(u => (string)u["status"]!));
        Assert.Equal(["pending-dispatch", "pending-sign-for", "handling", "pending-check", "pending-close", "closed"], updates.Select(u => (string)u["external_status_code"]!));
        Assert.Equal(updates.Select(u => long.Parse((string)u["update_id"]!)).Order(), updates.Select(u => long.Parse((string)u["update_id"]!)));
        Assert.Equal("已补装井盖，联系电话 [phone]", updates[3]["description"]);
        Assert.All(updates, u => Assert.EndsWith("+08:00", (string)u["updated_datetime"]!));
        // A later window holds none of them: each update is delivered once per window, by its own time.
        var later = (await fms.GetServiceRequestUpdatesAsync(W3(app.Clock.GetUtcNow().AddMinutes(2)), W3(app.Clock.GetUtcNow().AddMinutes(3))))!;
        Assert.DoesNotContain(later, u => (string?)u["service_request_id"] == id);
    }

    [Fact]
    public async Task RateLimited_Open311Clients_GetAnOpen311Error()
    {
        await using var limited = app.NewFactory(new Dictionary<string, string> { ["RateLimits:Open311PerMinute"] = "2" });
        var http = limited.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{Base}/discovery.xml")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{Base}/discovery.xml")).StatusCode);
        Assert.Equal("429", (await XmlErrors(await http.GetAsync($"{Base}/discovery.xml"), HttpStatusCode.BadRequest)).Single().Code);
    }
}

[Collection("sqlite")]
public sealed class Open311ContractTests_Sqlite(SqliteApp app) : Open311ContractTests<SqliteApp>(app), IClassFixture<SqliteApp>;

[Collection("postgres")]
public sealed class Open311ContractTests_Postgres(PostgresApp app) : Open311ContractTests<PostgresApp>(app), IClassFixture<PostgresApp>;

/// <summary>Every workflow state has its Open311 status; open and closed follow the workflow's own terminal states.</summary>
public sealed class Open311StatusTests
{
    [Fact]
    public void EveryState_HasAnExtendedStatus_FromFixMyStreetsVocabulary()
    {
        string[] vocabulary = ["OPEN", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "DUPLICATE", "NOT_COUNCILS_RESPONSIBILITY",
            "NO_FURTHER_ACTION", "INTERNAL_REFERRAL", "FOR_TRIAGE", "FIXED", "CLOSED", "CANCELLED", "REOPEN"];
        foreach (var state in Enum.GetValues<CaseState>())
        {
            Assert.Contains(Open311Statuses.Extended[state], vocabulary);
            Assert.Equal(state.IsOpen() ? "open" : "closed", Open311Statuses.Status(state));
        }
        Assert.Equal("FIXED", Open311Statuses.ExtendedOf(CaseState.Closed, worked: true));
        Assert.Equal("CLOSED", Open311Statuses.ExtendedOf(CaseState.Closed, worked: false));
        Assert.Equal("DUPLICATE", Open311Statuses.ExtendedOf(CaseState.Merged, worked: false));
    }

    [Fact]
    public void TheFixMyStreetParser_ForcesArrays_AndFoldsGroups()
    {
        var obj = FixMyStreetClient.Parse("<?xml version=\"1.0\" encoding=\"utf-8\"?><service_definition><service_code>X</service_code><attributes><attribute><code>a</code><values><value><key>1</key><name>one</name></value></values><datatype_description/></attribute></attributes></service_definition>")!;
        var attribute = Assert.IsType<Dictionary<string, object?>>(Assert.Single(Assert.IsType<List<object?>>(obj["attributes"])));
        Assert.Null(attribute["datatype_description"]);
        Assert.Equal("one", Assert.IsType<Dictionary<string, object?>>(Assert.Single(Assert.IsType<List<object?>>(attribute["values"])))["name"]);
    }
}
