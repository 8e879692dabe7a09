using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Geo;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Routing;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Features.Reference.Formats;
using Microsoft.Extensions.Time.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Demo;

/// <summary>
/// Seeds a small living demo city (金城江区, 451202) on first run in Development: departments, demo accounts and a
/// few hundred cases walked through the real workflow over the past weeks — through the same importers and the same
/// case commands as production, so the demo's history is as real as any other.
/// </summary>
public sealed class DemoSeeder(CityLoopDb db, ReferenceImporter importer, ReferenceCache reference, IDeadlinePolicy deadlines, IPlaceResolver places,
    IOptions<PlatformOptions> platform, TimeProvider clock, ILogger<DemoSeeder> log, IEnumerable<ICaseHook>? hooks = null,
    IEnumerable<ICaseProjection>? projections = null, IOptions<WorkflowOptions>? workflow = null)
{
    public const string DemoPassword = "Demo@12345";
    /// <summary>The demo Open311 client's api_key (README), published like the demo password: Development only.</summary>
    public const string DemoOpen311Key = "demo-open311-key";
    public const string DemoDepartment = "SZGLC";

    static readonly (string User, string Name, Role Role)[] People =
    [
        ("agent", "话务员（演示）", Role.HotlineAgent),
        ("intake", "受理员（演示）", Role.IntakeOperator),
        ("leader", "值班长（演示）", Role.ShiftLeader),
        ("dispatcher", "派遣员（演示）", Role.Dispatcher),
        ("inspector", "监督员（演示）", Role.Inspector),
        ("supervisor", "督办领导（演示）", Role.Supervisor),
        ("admin", "系统管理员（演示）", Role.SystemAdmin),
        ("security", "安全管理员（演示）", Role.SecurityAdmin),
        ("auditor", "审计管理员（演示）", Role.AuditAdmin),
        ("knowledge", "知识库编辑（演示）", Role.KnowledgeEditor),
        ("screen", "指挥大厅大屏（演示）", Role.Display),
    ];

    static readonly Dictionary<string, string> HotlineClassDepartment = new()
    {
        ["城乡建设"] = "ZJJ", ["环境保护"] = "HBJ", ["交通运输"] = "JTJ", ["商贸旅游"] = "SCJGJ",
        ["劳动和社会保障"] = "MZJ", ["卫生计生"] = "MZJ", ["教育文体"] = "MZJ",
    };

    public async Task<bool> SeedIfEmptyAsync(int cases = 300, CancellationToken ct = default)
    {
        if (await db.Users.AnyAsync(ct)) return false;
        await SeedAsync(cases, ct);
        return true;
    }

    public async Task SeedAsync(int caseCount, CancellationToken ct = default)
    {
        await SeedReferenceAsync(ct);
        var users = await SeedUsersAsync(ct);
        await SeedCasesAsync(users, caseCount, ct);
        var now = clock.GetUtcNow();
        var editor = users["knowledge"];
        await DemoDesk.SeedKnowledgeAsync(db, DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, platform.Value.Zone).DateTime), now, editor.Id, editor.Name, ct);
        // Calls only with a demo history: the tests count their own.
        if (caseCount > 0) await DemoDesk.SeedCallsAsync(db, platform.Value.Code, now, [(users["agent"].Id, users["agent"].Name)], ct);
    }

    /// <summary>
    /// Reference data of the demo city: real 金城江区 divisions with synthetic grid geometry (flagged synthetic),
    /// the seed catalogue, responsibility rules and the State Council holidays.
    /// </summary>
    async Task SeedReferenceAsync(CancellationToken ct)
    {
        var reports = new List<ImportReport>
        {
            await importer.DepartmentsAsync(ReferenceImporter.EmbeddedDepartments(), ct),
            await importer.DemoDivisionsAsync(ct),
        };
        var grids = SyntheticGridGenerator.Generate(DivisionCsv.LoadDemo(), DivisionCsv.DemoAreaCode,
            new SyntheticGridOptions { TotalCells = DemoGridCount, GridCodeLength = importer.GridCodeLength });
        reports.Add(await importer.GridsAsync(new GeoJsonReadResult(grids.ToFeatures(), []), ct));
        // Every demo grid is patrolled by the demo inspector, who by default checks the results there.
        await db.Set<GridRow>().ExecuteUpdateAsync(g => g.SetProperty(x => x.Inspector, "inspector"), ct);
        reports.Add(await importer.SeedCatalogueAsync("demo-seed", ct));
        reports.Add(await importer.RulesAsync(EmbeddedData.Read(RoutingSeed.RulesFile), ct));
        reports.Add(await importer.HolidaysAsync(ReferenceImporter.EmbeddedHolidays(), CalendarRow.PlatformScope, ct));
        foreach (var report in reports) log.LogInformation("Demo seed: {Report}", report);
    }

    /// <summary>About ten unit grids per community: enough to geocode the demo, quick to seed.</summary>
    public const int DemoGridCount = 1500;

    async Task<Dictionary<string, Actor>> SeedUsersAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var accounts = People.Select(p => (p.User, p.Name, Roles: new[] { p.Role }, Dept: (string?)null)).ToList();
        accounts.Add(("handler", "处置人员（演示，市政管理处）", [Role.DepartmentHandler], DemoDepartment));
        accounts.Add(("depthead", "部门负责人（演示，市政管理处）", [Role.DepartmentHead], DemoDepartment));
        foreach (var d in await db.Departments.AsNoTracking().OrderBy(d => d.Code).ToListAsync(ct))
            accounts.Add(("dept-" + d.Code.ToLowerInvariant(), $"{d.Name}（演示）", [Role.DepartmentHandler, Role.DepartmentHead], d.Code));

        var actors = new Dictionary<string, Actor>();
        foreach (var (name, display, roles, dept) in accounts)
        {
            var user = new User
            {
                UserName = name, DisplayName = display, Roles = User.FormatRoles(roles), DepartmentCode = dept,
                CreatedAt = now, PasswordChangedAt = now,
            };
            user.PasswordHash = Accounts.Hash(user, DemoPassword);
            db.Users.Add(user);
            actors[name] = new Actor(user.Id.ToString(), display, roles.ToHashSet(), dept);
        }
        // A demo Open311 client (e.g. a FixMyStreet instance) with the published key; a real client's key is issued
        // by the security administrator and has a prefix.
        db.ApiKeys.Add(new ApiKey
        {
            Name = "demo-open311-client", Prefix = "demo-open311", SecretHash = ApiKeyAuthentication.HashSecret(DemoOpen311Key),
            Role = Role.Open311Client, Scopes = ApiScope.Open311, CreatedAt = now, CreatedBy = "demo-seed",
        });
        await db.SaveChangesAsync(ct);
        return actors;
    }

    async Task SeedCasesAsync(Dictionary<string, Actor> people, int count, CancellationToken ct)
    {
        var rng = new Random(20261122);
        var messages = LoadMessages();
        var catalogue = reference.Catalogue.Current!;
        var categories = catalogue.Leaves.Where(c => c.Kind != CategoryKind.Hotline && c.Conditions.Count > 0).ToList();
        var matrix = reference.Routing;
        var grids = reference.Geo.Grids.Grids;
        var taxonomy = catalogue.Categories.Where(c => c.Kind == CategoryKind.Hotline).ToList();
        var byKey = taxonomy.ToDictionary(c => c.Key);
        string Root(Category c) => c.ParentKey is { } p && byKey.TryGetValue(p, out var parent) ? Root(parent) : c.Name;
        var hotlineLeaves = taxonomy.Where(c => c.IsLeaf).GroupBy(Root).ToDictionary(g => g.Key, g => g.ToList());
        var streets = new[] { "金城中路", "新建路", "南新西路", "百旺路", "河池大道", "东江路", "体育路", "环城北路" };
        var end = clock.GetUtcNow();
        var start = end.AddDays(-30);
        // The history is replayed on a clock the seeder moves itself (backwards too, between cases).
        var seedClock = new FakeTimeProvider(start.ToUniversalTime());
        var queries = new CaseQueries(db, seedClock);
        var commands = new CaseCommands(db, seedClock, deadlines, places, platform, new ActionReferences(db, new Pickers.CodeLists(db, reference, queries),
                new Platforms.PlatformRegistry(db, platform, new Infrastructure.Audit(db, seedClock, new HttpContextAccessor()), seedClock, reference)),
            hooks, projections, workflow);
        var targets = Enum.GetValues<CaseState>();

        for (var i = 0; i < count; i++)
        {
            var t = start + TimeSpan.FromMinutes(i * (30.0 * 24 * 60 / count) + rng.Next(0, 30));
            seedClock.AdjustTime(t);
            var hotline = rng.NextDouble() < 0.4;
            NewCase input;
            string? lead = null;
            Category? category = null;
            // Most reports fall inside a grid; a few come from just outside the gridded area and are flagged.
            var (lat, lon) = rng.NextDouble() < 0.95 ? Inside(grids[rng.Next(grids.Count)]) : (24.60 + rng.NextDouble() * 0.01, 108.06);
            var street = streets[rng.Next(streets.Length)];
            if (hotline)
            {
                var m = messages[rng.Next(messages.Count)];
                var type = (RequestType)rng.Next(0, 6);
                var leaves = hotlineLeaves.GetValueOrDefault(m.Class) ?? hotlineLeaves.Values.First();
                input = new NewCase
                {
                    Source = CaseSource.Hotline, RequestType = type, Title = m.Subject, Description = m.Detail,
                    CategoryCode = leaves[rng.Next(leaves.Count)].Key,
                    Address = $"金城江区{street}{rng.Next(1, 300)}号", Latitude = lat, Longitude = lon,
                    ReporterName = DemoName(rng), ReporterPhone = DemoPhone(rng), Confidential = rng.NextDouble() < 0.08,
                };
                lead = HotlineClassDepartment.GetValueOrDefault(m.Class, "ZJJ");
            }
            else
            {
                category = categories[rng.Next(categories.Count)];
                var condition = category.Conditions[0];
                var source = rng.NextDouble() switch { < 0.6 => CaseSource.InspectorPatrol, < 0.8 => CaseSource.Video, _ => CaseSource.Hotline };
                input = new NewCase
                {
                    Source = source, RequestType = source == CaseSource.Hotline ? RequestType.Complaint : RequestType.Report,
                    CategoryCode = category.Key, Title = $"{street}{category.Name}",
                    Description = $"{street}附近发现{category.Name}问题：{condition.Description}。", Latitude = lat, Longitude = lon,
                    Address = $"金城江区{street}", Urgency = rng.NextDouble() < 0.1 ? Urgency.Urgent : Urgency.Normal,
                    ReporterName = source == CaseSource.Hotline ? DemoName(rng) : null,
                    ReporterPhone = source == CaseSource.Hotline ? DemoPhone(rng) : null,
                };
            }
            var reporter = input.Source switch
            {
                CaseSource.InspectorPatrol => people["inspector"],
                CaseSource.Hotline => people["agent"],
                _ => people["intake"],
            };
            var created = (await commands.IntakeAsync(input, reporter, ct: ct)).Case;
            if (category is not null)
                lead = matrix.Suggest(new RoutingQuery(category.Key, category.Name, null, null, created.GridCode, created.StreetCode,
                    created.DistrictCode ?? RoutingSeed.DemoDistrictCode)).LeadDepartment;
            lead ??= "ZJJ";
            var target = targets[rng.Next(targets.Length)];
            if (i < targets.Length) target = targets[i];
            var deptActor = people.Values.First(a => a.DepartmentCode == lead && a.Roles.Contains(Role.DepartmentHead));
            await WalkAsync(commands, queries, seedClock, created.Id, target, category, input.RequestType, lead, deptActor, people, rng, end, ct);
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>Performs the actions that bring a case to <paramref name="target"/>, hours apart, never past now.</summary>
    async Task WalkAsync(CaseCommands commands, CaseQueries queries, FakeTimeProvider seedClock, Guid id, CaseState target, Category? category,
        RequestType type, string lead, Actor dept, Dictionary<string, Actor> p, Random rng, DateTimeOffset end, CancellationToken ct)
    {
        async Task<bool> Do(CaseAction action, Actor actor, ActionInput input)
        {
            var next = seedClock.GetUtcNow() + TimeSpan.FromMinutes(rng.Next(20, 8 * 60));
            if (next >= end) return false;
            seedClock.AdjustTime(next);
            try
            {
                await commands.PerformAsync(id, action, input, actor, null, queries, ct);
                return true;
            }
            catch (CaseRuleException)
            {
                // A time rule said no (an extension asked too late, a return after its window): the case stays where it is.
                db.ChangeTracker.Clear();
                return false;
            }
        }
        var standard = category?.Conditions[0].Code ?? "H-" + Domain.Kebab.From(type.ToString());
        switch (target)
        {
            case CaseState.Reported:
                return;
            case CaseState.Verifying:
                await Do(CaseAction.RequestVerification, p["intake"], new ActionInput { Inspector = p["inspector"].Id, Opinion = "请核实" });
                return;
            case CaseState.PendingFiling:
                await Do(CaseAction.Register, p["intake"], new ActionInput { Opinion = "已登记，提交立案" });
                return;
            case CaseState.Rejected:
                await Do(CaseAction.Reject, p["leader"], new ActionInput { Reason = "经核实不属于城市管理范围", StandardItem = standard });
                return;
            case CaseState.Transferred:
                await Do(CaseAction.Transfer, p["intake"], new ActionInput { Target = "河池市12345热线", Reason = "属市级事权" });
                return;
            case CaseState.Cancelled:
                await Do(CaseAction.Cancel, p["intake"], new ActionInput { Reason = "重复上报" });
                return;
            case CaseState.Merged:
                // A report is merged into a case still open (ActionReferences refuses a closed one).
                var open = Enum.GetValues<CaseState>().Where(s => s.IsOpen()).ToList();
                var into = await db.Cases.AsNoTracking().Where(c => c.Id != id && open.Contains(c.State))
                    .OrderByDescending(c => c.CreatedAt).Select(c => c.Number).FirstOrDefaultAsync(ct);
                if (into is not null) await Do(CaseAction.Merge, p["intake"], new ActionInput { TargetCase = into, Opinion = "同一问题重复反映，并单处理" });
                return;
        }
        if (target == CaseState.Closed && type is RequestType.Enquiry && rng.NextDouble() < 0.5)
        {
            if (await Do(CaseAction.AnswerDirectly, p["agent"], new ActionInput { Answer = "已根据知识库当场答复市民。" }) && rng.NextDouble() < 0.7)
                await Do(CaseAction.FollowUp, p["agent"], new ActionInput { Contacted = true, Resolved = true, Satisfaction = Satisfaction.Satisfied });
            return;
        }
        if (!await Do(CaseAction.File, p["leader"], new ActionInput { CategoryCode = category?.Key, StandardItem = standard, Opinion = "符合立案条件" })) return;
        if (target == CaseState.PendingDispatch) return;
        if (!await Do(CaseAction.Dispatch, p["dispatcher"], new ActionInput { LeadDepartment = lead, Opinion = "请按时处置" })) return;
        if (target == CaseState.PendingSignFor) return;
        if (!await Do(CaseAction.SignFor, dept, new ActionInput())) return;
        switch (target)
        {
            case CaseState.Handling: return;
            case CaseState.ReturnRequested:
                await Do(CaseAction.Return, dept, new ActionInput { Reason = "不属于本单位职责" });
                return;
            case CaseState.ArbitrationRequested:
                if (await Do(CaseAction.Return, dept, new ActionInput { Reason = "该路段属公路部门养护，不属于本单位职责" }))
                    await Do(CaseAction.ReferArbitration, p["dispatcher"], new ActionInput { Reason = "职责存在争议，提请值班长仲裁" });
                return;
            case CaseState.ExtensionRequested:
                var handlingDue = await db.Cases.Where(c => c.Id == id).Select(c => c.HandlingDueAt).FirstAsync(ct);
                await Do(CaseAction.RequestExtension, dept, new ActionInput { Reason = "需采购材料", DueAt = (handlingDue ?? seedClock.GetUtcNow()).AddDays(10) });
                return;
            case CaseState.SuspensionRequested:
                await Do(CaseAction.RequestSuspension, dept, new ActionInput { Reason = "需列入年度改造计划" });
                return;
            case CaseState.Suspended:
                if (await Do(CaseAction.RequestSuspension, dept, new ActionInput { Reason = "资金未到位" }))
                    await Do(CaseAction.ApproveSuspension, p["leader"], new ActionInput { Opinion = "同意挂账" });
                return;
        }
        if (!await Do(CaseAction.Finish, dept, new ActionInput { Result = "已按标准处置完毕，现场已恢复。" })) return;
        if (target == CaseState.PendingCheck) return;
        // The check is the named inspector's task on site; where none applies (outside every grid) intake calls the citizen back.
        async Task<Actor> Checker() =>
            await db.Cases.AsNoTracking().Where(c => c.Id == id).Select(c => c.AssignedInspector).FirstAsync(ct) is null ? p["intake"] : p["inspector"];
        if (rng.NextDouble() < 0.15)
        {
            if (!await Do(CaseAction.CheckFail, await Checker(), new ActionInput { Reason = "现场仍未处理到位" })) return;
            if (!await Do(CaseAction.Finish, dept, new ActionInput { Result = "已返工处理。" })) return;
        }
        if (!await Do(CaseAction.CheckPass, await Checker(), new ActionInput { Opinion = "核查通过，问题已处理" })) return;
        if (target == CaseState.PendingClose) return;
        if (!await Do(CaseAction.Close, p["leader"], new ActionInput { StandardItem = standard, Opinion = "同意结案" })) return;
        if (rng.NextDouble() < 0.7)
        {
            var satisfaction = (Satisfaction)rng.Next(0, 4);
            await Do(CaseAction.FollowUp, p["agent"], new ActionInput { Contacted = true, Resolved = satisfaction != Satisfaction.Dissatisfied, Satisfaction = satisfaction });
        }
    }

    static (double Lat, double Lon) Inside(UnitGrid grid)
    {
        var p = grid.Polygon.InteriorPoint;
        return (p.Y, p.X);
    }

    sealed record Message(string Subject, string Detail, string Class);

    static List<Message> LoadMessages()
    {
        using var stream = typeof(DemoSeeder).Assembly.GetManifestResourceStream("CityLoop.Server.Features.Demo.Data.citizen-messages.csv")
            ?? throw new InvalidOperationException("The demo messages are not embedded.");
        using var reader = new StreamReader(stream);
        var rows = Csv.Read(reader.ReadToEnd());
        return rows.Skip(1).Where(r => r.Fields.Count >= 4).Select(r => new Message(r.Fields[1], r.Fields[2], r.Fields[3])).ToList();
    }

    // Demo identities are generated, never taken from any real document.
    static string DemoName(Random rng) => "张王李赵刘陈杨黄周吴"[rng.Next(10)] + (rng.Next(2) == 0 ? "先生" : "女士");

    static string DemoPhone(Random rng) => "1380000" + rng.Next(0, 10000).ToString("D4");
}
