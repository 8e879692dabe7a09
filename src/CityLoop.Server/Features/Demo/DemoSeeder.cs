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
    /// <summary>The outsourced collection company (采集公司) the demo inspector works for: its assessment has someone to show.</summary>
    public const string DemoCollectionCompany = "城市管理信息采集服务公司（演示）";

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

    /// <summary>
    /// The department answering a hotline message, by the code prefix of its taxonomy category (most specific first):
    /// city services go to the utility or the city-management bureau, labour to 人社, schools to 教育, culture and sport
    /// to 文广体旅, food and drugs to the market regulator.
    /// </summary>
    static readonly (string Prefix, string Department)[] HotlineDepartments =
    [
        ("H010213", "RQGS"), ("H010215", "GDGS"), ("H010216", "GSGS"), ("H0102", "CGJ"), ("H01", "ZJJ"),
        ("H04", "HBJ"), ("H06", "JTJ"), ("H1101", "WTLJ"), ("H11", "SCJGJ"), ("H1204", "SCJGJ"), ("H12", "WJJ"),
        ("H1408", "WTLJ"), ("H1409", "WTLJ"), ("H1410", "WTLJ"), ("H14", "JYJ"), ("H15", "RSJ"),
    ];

    public static string HotlineDepartment(string categoryKey) =>
        HotlineDepartments.First(d => categoryKey.StartsWith(d.Prefix, StringComparison.Ordinal)).Department;

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
        // Sub-centres only with a demo history too: the tests register their own, and a deployment without them offers no hand-over.
        if (caseCount > 0) await SeedSubCentresAsync(users, ct);
    }

    /// <summary>
    /// The demo city's two sub-centres (decision 026): a district and a county of 河池, each with its own department,
    /// responsibility rule, staff and a few cases. Their codes are the real division codes; their places, people and
    /// cases are made up.
    /// </summary>
    public static readonly IReadOnlyList<DemoSubCentre> DemoSubCentres =
    [
        new("451203", "宜州区分中心", "yz", "YZSZS", "宜州区市政管理所", "宜州区庆远镇", 24.4855, 108.6367),
        new("451224", "东兰县分中心", "dl", "DLSZS", "东兰县市政管理所", "东兰县东兰镇", 24.5105, 107.3745),
    ];

    public sealed record DemoSubCentre(string Code, string Name, string Prefix, string Department, string DepartmentName, string Town, double Lat, double Lon);

    /// <summary>The sub-centres' demo accounts by suffix: intake, shift leader, dispatcher, handler (its department) and administrator.</summary>
    static readonly (string Suffix, string Title, Role Role)[] SubCentrePeople =
    [
        ("intake", "受理员", Role.IntakeOperator),
        ("leader", "值班长", Role.ShiftLeader),
        ("dispatcher", "派遣员", Role.Dispatcher),
        ("handler", "处置人员", Role.DepartmentHandler),
        ("admin", "系统管理员", Role.SystemAdmin),
    ];

    async Task SeedSubCentresAsync(Dictionary<string, Actor> people, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var sub in DemoSubCentres)
            db.Set<PlatformRow>().Add(new PlatformRow { Code = sub.Code, Name = sub.Name, ParentCode = platform.Value.Code, CreatedAt = now, CreatedBy = "demo-seed" });
        await db.SaveChangesAsync(ct);
        // Their departments and rules through the importers, as a sub-centre's administrator would load them.
        var reports = new List<ImportReport>();
        foreach (var sub in DemoSubCentres)
        {
            reports.Add(await importer.DepartmentsAsync($"code,name,parentCode,kind,platform\n{sub.Department},{sub.DepartmentName},,bureau,{sub.Code}\n", ct, sub.Code));
            reports.Add(await importer.RulesAsync($"id,categoryCode,scopeKind,scopeValue,lead,assisting\n{sub.Prefix}-default,,default,,{sub.Department},\n", ct, sub.Code));
        }
        foreach (var report in reports) log.LogInformation("Demo seed (sub-centres): {Report}", report);
        reference.Invalidate(ReferencePart.Calendars, ReferencePart.Routing, ReferencePart.Departments);

        var staff = new Dictionary<string, Actor>();
        foreach (var sub in DemoSubCentres)
            foreach (var (suffix, title, role) in SubCentrePeople)
            {
                var name = $"{sub.Prefix}-{suffix}";
                var dept = role == Role.DepartmentHandler ? sub.Department : null;
                var display = $"{title}（演示，{sub.Name}）";
                var user = new User
                {
                    UserName = name, DisplayName = display, Roles = User.FormatRoles([role]), DepartmentCode = dept, PlatformCode = sub.Code,
                    CreatedAt = now, PasswordChangedAt = now,
                };
                user.PasswordHash = Accounts.Hash(user, DemoPassword);
                db.Users.Add(user);
                staff[name] = new Actor(user.Id.ToString(), display, new HashSet<Role> { role }, dept, PlatformCode: sub.Code);
            }
        await db.SaveChangesAsync(ct);

        // A few cases each, on a clock the seeder moves: one taken in by the sub-centre and being handled, one waiting
        // for its dispatcher, and one the city took in and handed over (移交) that waits on the sub-centre's desk.
        var seedClock = new FakeTimeProvider(now.AddHours(-6).ToUniversalTime());
        var queries = new CaseQueries(db, seedClock);
        var commands = new CaseCommands(db, seedClock, deadlines, places, platform, new ActionReferences(db, new Pickers.CodeLists(db, reference, queries),
                new Platforms.PlatformRegistry(db, platform, new Infrastructure.Audit(db, seedClock, new HttpContextAccessor()), seedClock, reference)),
            hooks, projections, workflow, reference: reference);
        var catalogue = reference.Catalogue.Current!;
        var categories = catalogue.Leaves.Where(c => c.Kind == CategoryKind.Event && c.Conditions.Count > 0).Take(3).ToList();
        var rng = new Random(20261202);
        async Task<Guid> Take(Actor by, DemoSubCentre sub, Category category, string where)
        {
            seedClock.AdjustTime(seedClock.GetUtcNow().AddMinutes(20));
            var created = await commands.IntakeAsync(new NewCase
            {
                Source = CaseSource.Hotline, RequestType = RequestType.Complaint, CategoryCode = category.Key, Title = $"{sub.Town}{where}{category.Name}",
                Description = $"{sub.Town}{where}有{category.Name}问题：{category.Conditions[0].Description}。", Address = $"{sub.Town}{where}",
                Latitude = sub.Lat + rng.NextDouble() * 0.004, Longitude = sub.Lon + rng.NextDouble() * 0.004,
                ReporterName = DemoName(rng), ReporterPhone = DemoPhone(rng),
            }, by, ct: ct);
            db.ChangeTracker.Clear();
            return created.Case.Id;
        }
        async Task Act(Guid id, CaseAction action, Actor by, ActionInput input)
        {
            seedClock.AdjustTime(seedClock.GetUtcNow().AddMinutes(15));
            await commands.PerformAsync(id, action, input, by, null, queries, ct);
            db.ChangeTracker.Clear();
        }
        ActionInput Filing(Category category) => new() { CategoryCode = category.Key, StandardItem = category.Conditions[0].Code, Opinion = "符合立案条件" };
        foreach (var sub in DemoSubCentres)
        {
            Actor Own(string suffix) => staff[$"{sub.Prefix}-{suffix}"];
            var handling = await Take(Own("intake"), sub, categories[0], "人民路");
            await Act(handling, CaseAction.Register, Own("intake"), new ActionInput { Opinion = "已登记，提交立案" });
            await Act(handling, CaseAction.File, Own("leader"), Filing(categories[0]));
            await Act(handling, CaseAction.Dispatch, Own("dispatcher"), new ActionInput { LeadDepartment = sub.Department, Opinion = "请按时限办理" });
            await Act(handling, CaseAction.SignFor, Own("handler"), new ActionInput());

            var waiting = await Take(Own("intake"), sub, categories[1 % categories.Count], "中山路");
            await Act(waiting, CaseAction.Register, Own("intake"), new ActionInput { Opinion = "已登记，提交立案" });
            await Act(waiting, CaseAction.File, Own("leader"), Filing(categories[1 % categories.Count]));

            var handed = await Take(people["agent"], sub, categories[2 % categories.Count], "城东路");
            await Act(handed, CaseAction.Register, people["agent"], new ActionInput { Opinion = "已登记，提交立案" });
            await Act(handed, CaseAction.File, people["leader"], Filing(categories[2 % categories.Count]));
            await Act(handed, CaseAction.HandOver, people["dispatcher"], new ActionInput { Platform = sub.Code, Opinion = $"属{sub.Name}辖区，移交办理" });
        }
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
        // Every demo grid is patrolled by the demo inspector, who by default checks the results there, and has been since
        // before the demo's history begins (its past months' 漏报 are counted by who held the grid then, decision 054).
        await db.Set<GridRow>().ExecuteUpdateAsync(g => g.SetProperty(x => x.Inspector, "inspector"), ct);
        if (!await db.Set<GridAssignmentRow>().AnyAsync(ct))
        {
            foreach (var code in await db.Set<GridRow>().Select(g => g.Code).ToListAsync(ct))
                db.Set<GridAssignmentRow>().Add(new GridAssignmentRow { GridCode = code, Inspector = "inspector", ValidFrom = DateTimeOffset.UnixEpoch, AssignedBy = "system:demo" });
            await db.SaveChangesAsync(ct);
        }
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
                CreatedAt = now, PasswordChangedAt = now, Organisation = name == "inspector" ? DemoCollectionCompany : null,
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
        var divisions = reference.Geo.Divisions;
        // The extract's anonymised places (A市, D10县, M6州M7市) become the demo city's own: its city and its district.
        var district = divisions.Find(RoutingSeed.DemoDistrictCode);
        var city = district?.ParentCode is { } parentCode ? divisions.Find(parentCode)?.Name : null;
        var messages = LoadMessages().Select(m => m with
        {
            Subject = InDemoCity(m.Subject, city ?? "河池市", district?.Name ?? "金城江区"),
            Detail = InDemoCity(m.Detail, city ?? "河池市", district?.Name ?? "金城江区"),
        }).ToList();
        var catalogue = reference.Catalogue.Current!;
        var categories = catalogue.Leaves.Where(c => c.Kind != CategoryKind.Hotline && c.Conditions.Count > 0).ToList();
        var matrix = reference.Routing;
        var grids = reference.Geo.Grids.Grids;
        if (messages.FirstOrDefault(m => catalogue.Find(m.Category) is not { Kind: CategoryKind.Hotline, IsLeaf: true }) is { } stray)
            throw new InvalidOperationException($"Demo message '{stray.Subject}' names {stray.Category}, not a leaf of the hotline taxonomy.");
        var streets = new[] { "河池大道", "金城中路", "环城北路" };
        // "金城江街道解放社区", "长老乡地霄村": the street and the community of a grid, without the committees' titles.
        string PlaceOf(UnitGrid grid)
        {
            var community = divisions.Find(grid.CommunityCode);
            var streetName = community?.ParentCode is { } parent ? divisions.Find(parent)?.Name ?? "" : "";
            var name = (community?.Name ?? "").Replace("居民委员会", "").Replace("村民委员会", "村").Replace("居委会", "").Replace("村委会", "村");
            return streetName + name;
        }
        var end = clock.GetUtcNow();
        var start = end.AddDays(-30);
        // The history is replayed on a clock the seeder moves itself (backwards too, between cases).
        var seedClock = new FakeTimeProvider(start.ToUniversalTime());
        var queries = new CaseQueries(db, seedClock);
        var commands = new CaseCommands(db, seedClock, deadlines, places, platform, new ActionReferences(db, new Pickers.CodeLists(db, reference, queries),
                new Platforms.PlatformRegistry(db, platform, new Infrastructure.Audit(db, seedClock, new HttpContextAccessor()), seedClock, reference)),
            hooks, projections, workflow);
        var targets = Enum.GetValues<CaseState>();

        // Every state of the workflow appears at least once, among cases a few days old.
        var everyStateFrom = Math.Max(0, count - count / 10 - targets.Length);
        for (var i = 0; i < count; i++)
        {
            var t = start + TimeSpan.FromMinutes(i * (30.0 * 24 * 60 / count) + rng.Next(0, 30));
            seedClock.AdjustTime(t);
            var everyState = i >= everyStateFrom && i < everyStateFrom + targets.Length;
            var target = everyState ? targets[i - everyStateFrom] : Target(rng, end - t);
            var hotline = rng.NextDouble() < 0.4;
            NewCase input;
            string? lead = null;
            Category? category = null;
            // Most reports fall inside a grid, named by its street and community; a few come from just outside the
            // gridded area (on the main road) and are flagged.
            var grid = grids[rng.Next(grids.Count)];
            var inside = rng.NextDouble() < 0.95;
            var (lat, lon) = inside ? Inside(grid) : (24.60 + rng.NextDouble() * 0.01, 108.06);
            var street = inside ? PlaceOf(grid) : streets[rng.Next(streets.Length)];
            // A duplicate is a second report of an open case: same category, a few metres away, in other words.
            var original = target == CaseState.Merged ? await OpenOriginalAsync(ct) : null;
            if (original is not null)
            {
                category = catalogue.Find(original.CategoryCode!);
                input = new NewCase
                {
                    Source = CaseSource.Hotline, RequestType = RequestType.Complaint, CategoryCode = original.CategoryCode,
                    Title = original.Title, Description = $"{original.Address}的{category?.Name ?? original.Title}问题还在，之前有人反映过，请尽快处理。",
                    Address = original.Address, Latitude = original.Latitude + 0.00005, Longitude = original.Longitude,
                    ReporterName = DemoName(rng), ReporterPhone = DemoPhone(rng),
                };
            }
            else if (hotline)
            {
                var m = messages[rng.Next(messages.Count)];
                input = new NewCase
                {
                    Source = CaseSource.Hotline, RequestType = m.Type, Title = m.Subject, Description = m.Detail, CategoryCode = m.Category,
                    Address = $"金城江区{street}{rng.Next(1, 120)}号", Latitude = lat, Longitude = lon,
                    ReporterName = DemoName(rng), ReporterPhone = DemoPhone(rng), Confidential = rng.NextDouble() < 0.08,
                };
                lead = HotlineDepartment(m.Category);
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
            var deptActor = people.Values.First(a => a.DepartmentCode == lead && a.Roles.Contains(Role.DepartmentHead));
            // A case that is closed by now took its steps within its age: the walk is fitted into 90 % of it (so is the
            // walk of the block that shows every state, which must get there).
            var finishBy = target == CaseState.Closed || everyState ? t + (end - t) * 0.9 : (DateTimeOffset?)null;
            await WalkAsync(commands, queries, seedClock, created.Id, target, category, input.RequestType, lead, deptActor, people, rng, end,
                original?.Number, finishBy, ct);
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// What became of a report by its age, as a working platform's figures show it (办结率 of a past month 95–99 %):
    /// nearly all reports older than a few days are closed, a few rejected, passed on, withdrawn, merged or suspended,
    /// about 2 % still stuck and overdue; recent ones are anywhere in the workflow, more of them closed the older they are.
    /// </summary>
    static CaseState Target(Random rng, TimeSpan age)
    {
        var r = rng.NextDouble();
        if (age < TimeSpan.FromDays(3))
        {
            var closed = age < TimeSpan.FromHours(8) ? 0.15 : age < TimeSpan.FromDays(1) ? 0.4 : age < TimeSpan.FromDays(2) ? 0.6 : 0.75;
            if (r < closed) return CaseState.Closed;
            var any = Enum.GetValues<CaseState>()[rng.Next(Enum.GetValues<CaseState>().Length)];
            // The centre's own steps take an hour or two: a case waits in their queues only when it is fresh (or rarely).
            return age < TimeSpan.FromHours(8) || !QuickSteps.Contains(any) || rng.NextDouble() < 0.2 ? any : CaseState.Handling;
        }
        return r switch
        {
            < 0.94 => CaseState.Closed,
            < 0.95 => CaseState.Rejected,
            < 0.957 => CaseState.Transferred,
            < 0.962 => CaseState.Cancelled,
            < 0.972 => CaseState.Merged,
            < 0.978 => CaseState.Suspended,
            < 0.988 => CaseState.Handling,
            < 0.993 => CaseState.PendingClose,
            _ => CaseState.ArbitrationRequested,
        };
    }

    static readonly CaseState[] QuickSteps =
    [
        CaseState.Reported, CaseState.Verifying, CaseState.PendingFiling, CaseState.PendingDispatch, CaseState.PendingSignFor,
        CaseState.ReturnRequested, CaseState.PendingClose, CaseState.ExtensionRequested, CaseState.SuspensionRequested,
    ];

    sealed record Original(string Number, string? CategoryCode, string? Title, string? Address, double Latitude, double Longitude);

    /// <summary>The latest open, located, catalogued case: what a duplicate report repeats.</summary>
    async Task<Original?> OpenOriginalAsync(CancellationToken ct)
    {
        var open = Enum.GetValues<CaseState>().Where(s => s.IsOpen()).ToArray();
        return await db.Cases.AsNoTracking()
            .Where(c => open.Contains(c.State) && c.CategoryCode != null && c.Latitude != null && c.Longitude != null && !c.CategoryCode.StartsWith("H"))
            .OrderByDescending(c => c.CreatedAt)
            .Select(c => new Original(c.Number, c.CategoryCode, c.Title, c.Address, c.Latitude!.Value, c.Longitude!.Value))
            .FirstOrDefaultAsync(ct);
    }

    /// <summary>
    /// Performs the actions that bring a case to <paramref name="target"/>, never past now. Each step is taken within
    /// the running phase's time limit — at 10–85 % of what is left of it — except for a small share of late steps
    /// (3 % at the centre, 8 % of the departments' handling), so the demo's rates look like a working city's.
    /// </summary>
    async Task WalkAsync(CaseCommands commands, CaseQueries queries, FakeTimeProvider seedClock, Guid id, CaseState target, Category? category,
        RequestType type, string lead, Actor dept, Dictionary<string, Actor> p, Random rng, DateTimeOffset end, string? original, DateTimeOffset? finishBy,
        CancellationToken ct)
    {
        async Task<bool> Do(CaseAction action, Actor actor, ActionInput input, double lateShare = 0.03)
        {
            var now = seedClock.GetUtcNow();
            var clocks = await db.Cases.AsNoTracking().Where(c => c.Id == id).Select(c => new { c.State, c.ClockDueAt, c.HandlingDueAt }).FirstAsync(ct);
            var due = clocks.ClockDueAt;
            // Signing for spends the handling limit too (it runs from dispatch): a department signs early in it.
            if (clocks.State == CaseState.PendingSignFor && clocks.HandlingDueAt is { } handling && (due is null || handling < due))
                due = now + (handling - now) / 3;
            TimeSpan gap;
            if (due is { } d && d > now)
            {
                var window = d - now;
                var u = rng.NextDouble();
                // Most steps are taken well inside the limit; a long limit (a hotline case's weeks) is rarely used up.
                gap = rng.NextDouble() < lateShare ? window * (1.05 + u * 0.8) : window * (0.05 + 0.8 * u * u);
                if (gap < window && window > TimeSpan.FromDays(3)) gap = TimeSpan.FromHours(Math.Min(gap.TotalHours, rng.Next(4, 120)));
            }
            else gap = TimeSpan.FromMinutes(rng.Next(20, 4 * 60));
            // Each step of a case closed by now takes at most a third of what is left of its time: the last one still fits.
            if (finishBy is { } by && by > now && gap > (by - now) / 3) gap = (by - now) / 3;
            var next = now + gap;
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
        // Texts that fit the case: a pothole is repaired on site, a hotline question is answered with the policy.
        var field = category is not null;
        var standard = category?.Conditions[0].Code ?? "H-" + Domain.Kebab.From(type.ToString());
        switch (target)
        {
            case CaseState.Reported:
                return;
            case CaseState.Verifying:
                await Do(CaseAction.RequestVerification, p["intake"], new ActionInput { Inspector = p["inspector"].Id, Opinion = "请到现场核实" });
                return;
            case CaseState.PendingFiling:
                await Do(CaseAction.Register, p["intake"], new ActionInput { Opinion = "已登记，提交立案" });
                return;
            case CaseState.Rejected:
                await Do(CaseAction.Reject, p["leader"], new ActionInput
                {
                    Reason = field ? "经现场核实，问题不存在或已自行消除" : "反映事项已进入司法程序，不属于热线受理范围", StandardItem = standard,
                });
                return;
            case CaseState.Transferred:
                await Do(CaseAction.Transfer, p["intake"], new ActionInput { Target = "河池市12345热线", Reason = "属市级事权，转市级热线办理" });
                return;
            case CaseState.Cancelled:
                await Do(CaseAction.Cancel, p["intake"], new ActionInput { Reason = "市民来电撤回诉求" });
                return;
            case CaseState.Merged:
                if (original is not null)
                    await Do(CaseAction.Merge, p["intake"], new ActionInput { TargetCase = original, Opinion = "同一问题重复反映，并入原案件处理" });
                return;
        }
        if (target == CaseState.Closed && type is RequestType.Enquiry or RequestType.Praise && rng.NextDouble() < 0.6)
        {
            var answer = type == RequestType.Praise ? "已记录市民的表扬并转告相关单位。" : "已根据知识库和相关政策当场答复市民。";
            if (await Do(CaseAction.AnswerDirectly, p["agent"], new ActionInput { Answer = answer }) && rng.NextDouble() < 0.9)
                await Do(CaseAction.FollowUp, p["agent"], new ActionInput { Contacted = true, Resolved = true, Satisfaction = Rating(rng) });
            return;
        }
        if (!await Do(CaseAction.File, p["leader"], new ActionInput { CategoryCode = category?.Key, StandardItem = standard, Opinion = "符合立案条件" })) return;
        if (target == CaseState.PendingDispatch) return;
        if (!await Do(CaseAction.Dispatch, p["dispatcher"], new ActionInput { LeadDepartment = lead, Opinion = "请按时限办理" })) return;
        if (target == CaseState.PendingSignFor) return;
        if (!await Do(CaseAction.SignFor, dept, new ActionInput())) return;
        switch (target)
        {
            case CaseState.Handling: return;
            case CaseState.ReturnRequested:
                await Do(CaseAction.Return, dept, new ActionInput { Reason = field ? "该设施产权属其他单位，不属于本单位职责" : "反映事项不属于本单位职责，应由其他部门办理" });
                return;
            case CaseState.ArbitrationRequested:
                if (await Do(CaseAction.Return, dept, new ActionInput { Reason = field ? "该路段属公路部门养护，不属于本单位职责" : "该事项涉及多个部门，不属于本单位牵头" }))
                    await Do(CaseAction.ReferArbitration, p["dispatcher"], new ActionInput { Reason = "职责存在争议，提请值班长仲裁" });
                return;
            case CaseState.ExtensionRequested:
                var handlingDue = await db.Cases.Where(c => c.Id == id).Select(c => c.HandlingDueAt).FirstAsync(ct);
                await Do(CaseAction.RequestExtension, dept, new ActionInput
                {
                    Reason = field ? "需采购更换配件，材料到货后施工" : "涉及历史遗留问题，需调取档案并协调相关单位核实",
                    DueAt = (handlingDue ?? seedClock.GetUtcNow()).AddDays(10),
                });
                return;
            case CaseState.SuspensionRequested:
                await Do(CaseAction.RequestSuspension, dept, new ActionInput { Reason = field ? "需列入年度改造计划统一实施" : "需待上级政策出台后答复" });
                return;
            case CaseState.Suspended:
                if (await Do(CaseAction.RequestSuspension, dept, new ActionInput { Reason = field ? "整治资金尚未到位，列入下年度计划" : "涉及诉讼，待法院判决后处理" }))
                    await Do(CaseAction.ApproveSuspension, p["leader"], new ActionInput { Opinion = "同意挂账" });
                return;
        }
        var result = field ? $"已按{category!.Name}处置标准处理完毕，现场已恢复。" : "已联系市民，调查核实并按政策答复处理，市民表示理解。";
        if (!await Do(CaseAction.Finish, dept, new ActionInput { Result = result }, lateShare: 0.08)) return;
        if (target == CaseState.PendingCheck) return;
        // The check is the named inspector's task on site; where none applies (outside every grid) intake calls the citizen back.
        async Task<Actor> Checker() =>
            await db.Cases.AsNoTracking().Where(c => c.Id == id).Select(c => c.AssignedInspector).FirstAsync(ct) is null ? p["intake"] : p["inspector"];
        if (rng.NextDouble() < 0.06)
        {
            if (!await Do(CaseAction.CheckFail, await Checker(), new ActionInput { Reason = field ? "现场仍未处理到位" : "市民反映问题仍未解决" })) return;
            if (!await Do(CaseAction.Finish, dept, new ActionInput { Result = field ? "已返工处理，现场已恢复。" : "已再次约见市民，问题已解决。" })) return;
        }
        if (!await Do(CaseAction.CheckPass, await Checker(), new ActionInput { Opinion = field ? "现场核查通过，问题已处理" : "经回访核查，问题已办理" })) return;
        if (target == CaseState.PendingClose) return;
        if (!await Do(CaseAction.Close, p["leader"], new ActionInput { StandardItem = standard, Opinion = "同意结案" })) return;
        // Closures of more than two days ago were called back (a few follow-ups are still due, fewer are late).
        if (rng.NextDouble() < (end - seedClock.GetUtcNow() > TimeSpan.FromDays(2) ? 0.98 : 0.6))
        {
            var satisfaction = Rating(rng);
            await Do(CaseAction.FollowUp, p["agent"], new ActionInput { Contacted = true, Resolved = satisfaction != Satisfaction.Dissatisfied, Satisfaction = satisfaction });
        }
    }

    /// <summary>Follow-up ratings as a working hotline hears them: mostly satisfied, a few not.</summary>
    static Satisfaction Rating(Random rng) => rng.NextDouble() switch
    {
        < 0.45 => Satisfaction.VerySatisfied,
        < 0.85 => Satisfaction.Satisfied,
        < 0.95 => Satisfaction.BasicallySatisfied,
        _ => Satisfaction.Dissatisfied,
    };

    static (double Lat, double Lon) Inside(UnitGrid grid)
    {
        var p = grid.Polygon.InteriorPoint;
        return (p.Y, p.X);
    }

    /// <summary>
    /// A text of the extract in the demo city: the organisers' anonymised places — a city or prefecture (A市, M6州M7市)
    /// and a district or county (A5区, D10县) — named as the demo's city and district.
    /// </summary>
    public static string InDemoCity(string text, string city, string district)
    {
        text = System.Text.RegularExpressions.Regex.Replace(text, "(?<![A-Za-z0-9])(?:[A-Z][0-9]*[省州市])+", city);
        text = System.Text.RegularExpressions.Regex.Replace(text, "(?<![A-Za-z0-9])[A-Z][0-9]+[区县]", district);
        // "河池市金城江区" stays; a district named twice in a row ("金城江区金城江区") once.
        return text.Replace(district + district, district).Replace(city + city, city);
    }

    /// <summary>A citizen message of the bundled extract with the hotline category and request type it was reviewed into.</summary>
    sealed record Message(string Subject, string Detail, string Class, string Category, RequestType Type);

    static List<Message> LoadMessages()
    {
        using var stream = typeof(DemoSeeder).Assembly.GetManifestResourceStream("CityLoop.Server.Features.Demo.Data.citizen-messages.csv")
            ?? throw new InvalidOperationException("The demo messages are not embedded.");
        using var reader = new StreamReader(stream);
        var rows = Csv.Read(reader.ReadToEnd());
        return rows.Skip(1).Where(r => r.Fields.Count >= 6)
            .Select(r => new Message(r.Fields[1], r.Fields[2], r.Fields[3], r.Fields[4], Enum.Parse<RequestType>(r.Fields[5], ignoreCase: true))).ToList();
    }

    // Demo identities are generated, never taken from any real document.
    static string DemoName(Random rng) => "张王李赵刘陈杨黄周吴"[rng.Next(10)] + (rng.Next(2) == 0 ? "先生" : "女士");

    static string DemoPhone(Random rng) => "1380000" + rng.Next(0, 10000).ToString("D4");
}
