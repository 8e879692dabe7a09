using CityLoop.Domain.Cases;
using CityLoop.Domain.Catalogue;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Domain.Routing;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Clocks;
using CityLoop.Server.Features.Reference;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Bench;

/// <summary>
/// One generated case as the domain left it, with every event of its history, its figures' fact row folded from
/// those events by the production code (<see cref="CaseFact.Start"/>, <see cref="CaseFact.Apply"/>), and the recipe
/// that made it — the intake and each step with its actor and instant — so that it can be made again at another time.
/// </summary>
public sealed record GeneratedCase(Case Case, IReadOnlyList<CaseEvent> Events, CaseFact Fact, CaseRecipe Recipe)
{
    /// <summary>The instant of the history's last event.</summary>
    public DateTimeOffset LastAt => Events.Count > 0 ? Events[^1].At : Case.CreatedAt;

    /// <summary>The fact row the projection (<c>CaseFactProjection</c>) would hold for these events.</summary>
    public static CaseFact FactOf(Case c, IReadOnlyList<CaseEvent> events, CountedRating counted = CountedRating.Call)
    {
        var fact = CaseFact.Start(c, events[0]);
        for (var i = 1; i < events.Count; i++) fact.Apply(events[i], EventClock.Of(events[i]), counted);
        return fact;
    }
}

/// <summary>One step of a generated history: the action, its input, who did it and when.</summary>
public sealed record CaseStep(CaseAction Action, ActionInput Input, Actor Actor, DateTimeOffset At);

/// <summary>What made a generated case: the intake (input, place, creator, instant) and the steps the domain accepted.</summary>
public sealed record CaseRecipe(NewCase Input, CasePlace? Place, Actor Creator, DateTimeOffset At, IReadOnlyList<CaseStep> Steps);

/// <summary>
/// What the generator draws from: the platform's reference data (catalogue, grids, routing), the people who act,
/// and the bundled citizen messages for hotline texts. Built from a database where the demo reference data is loaded.
/// </summary>
public sealed record GeneratorWorld(
    IReadOnlyList<Category> CityCategories,
    IReadOnlyList<Category> HotlineLeaves,
    IReadOnlyList<(double Lat, double Lon)> GridPoints,
    ResponsibilityMatrix Routing,
    IReadOnlyList<string> Departments,
    IReadOnlyList<(string Subject, string Detail)> Messages,
    IReadOnlyList<Actor> Staff,
    IReadOnlyDictionary<string, Actor> DepartmentActors,
    IPlaceResolver Places,
    string PlatformCode,
    TimeZoneInfo Zone,
    IReadOnlyDictionary<string, Actor>? GridInspectors = null)
{
    public static async Task<GeneratorWorld> BuildAsync(CityLoopDb db, ReferenceCache reference, IPlaceResolver places, PlatformOptions platform)
    {
        var catalogue = reference.Catalogue.Current ?? throw new InvalidOperationException("Load the reference data (demo seed) first.");
        var city = catalogue.Leaves.Where(c => c.Kind != CategoryKind.Hotline && c.Conditions.Count > 0).ToList();
        var hotline = catalogue.Categories.Where(c => c.Kind == CategoryKind.Hotline && c.IsLeaf).ToList();
        var points = reference.Geo.Grids.Grids.Select(g => { var p = g.Polygon.InteriorPoint; return (p.Y, p.X); }).ToList();
        var users = await db.Users.AsNoTracking().Where(u => !u.Disabled).ToListAsync();
        var actors = users.Select(u => new Actor(u.Id.ToString(), u.DisplayName, u.RoleSet(), u.DepartmentCode)).ToList();
        var deptActors = actors.Where(a => a.DepartmentCode is not null && a.Roles.Contains(Role.DepartmentHead))
            .GroupBy(a => a.DepartmentCode!).ToDictionary(g => g.Key, g => g.First());
        var staff = actors.Where(a => a.DepartmentCode is null).ToList();
        // Each grid's inspector (from the database: the benchmark shares the grids among its inspectors) reports there.
        var byName = users.Where(u => u.RoleSet().Contains(Role.Inspector)).ToDictionary(u => u.UserName, u => actors.First(a => a.Id == u.Id.ToString()));
        var gridInspectors = (await db.Set<GridRow>().AsNoTracking().Where(g => g.Inspector != null).Select(g => new { g.Code, g.Inspector }).ToListAsync())
            .Where(g => byName.ContainsKey(g.Inspector!)).ToDictionary(g => g.Code, g => byName[g.Inspector!]);
        return new GeneratorWorld(city, hotline, points, reference.Routing, deptActors.Keys.Order().ToList(), LoadMessages(), staff, deptActors, places,
            platform.Code, platform.Zone, gridInspectors);
    }

    static List<(string, string)> LoadMessages()
    {
        using var stream = typeof(PlatformOptions).Assembly.GetManifestResourceStream("CityLoop.Server.Features.Demo.Data.citizen-messages.csv")
            ?? throw new InvalidOperationException("The citizen messages are not embedded in the server.");
        using var reader = new StreamReader(stream);
        return CityLoop.Server.Features.Reference.Formats.Csv.Read(reader.ReadToEnd()).Skip(1).Where(r => r.Fields.Count >= 4).Select(r => (r.Fields[1], r.Fields[2])).ToList();
    }
}

/// <summary>
/// Realistic case histories for benchmarks (the case list at 10 million cases, the statistics): each case is created
/// and carried through the workflow by the domain itself — <see cref="Case.Create"/> and <see cref="Case.Perform"/>
/// with an in-memory deadline policy — so every history is legal under the transition table, whatever actions the
/// table has. At each step the generator picks one of the table's rows for the current state (weighted towards the
/// common path), an actor the row allows, and values for the fields the row lists; the domain decides whether it
/// is allowed. Deterministic for a seed. Cases are spread over the period with a daily rhythm; recent ones are still
/// open, as the clock stops the walk at the period's end.
/// </summary>
public sealed class CaseHistoryGenerator(GeneratorWorld world, int seed)
{
    readonly Random _rng = new(seed);
    /// <summary>
    /// Deadlines as fixed durations (no working-day calendar), so a history moved by whole weeks has the same
    /// deadlines and on-time verdicts, moved by the same amount (<see cref="CaseReplicator"/> relies on this).
    /// </summary>
    public static readonly IDeadlinePolicy Deadlines = FixedDeadlinePolicy.Default;
    readonly IDeadlinePolicy _deadlines = Deadlines;
    readonly Dictionary<string, int> _perDay = [];
    readonly List<string> _recentNumbers = [];

    /// <summary>Relative weights of the table's actions when several are possible; an action not listed (new) gets <see cref="OtherWeight"/>.</summary>
    static readonly Dictionary<string, double> Weights = new()
    {
        ["register"] = 30, ["request-verification"] = 8, ["verify"] = 100, ["file"] = 60, ["reject"] = 4, ["answer-directly"] = 40,
        ["dispatch"] = 100, ["sign-for"] = 95, ["return"] = 2, ["approve-return"] = 70, ["deny-return"] = 20, ["redispatch"] = 3,
        ["request-extension"] = 3, ["approve-extension"] = 80, ["deny-extension"] = 20, ["request-suspension"] = 1,
        ["approve-suspension"] = 70, ["deny-suspension"] = 30, ["resume"] = 100, ["finish"] = 95, ["check-pass"] = 90,
        ["check-fail"] = 9, ["close"] = 100, ["follow-up"] = 100, ["reopen"] = 3, ["transfer"] = 0.5, ["merge"] = 0.5,
        ["cancel"] = 1, ["supervise"] = 0.3,
    };
    const double OtherWeight = 1;

    /// <summary>Share of the day's reports per local hour: quiet at night, peaks mid-morning and mid-afternoon.</summary>
    static readonly double[] Hourly = [0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.5, 3, 6, 8, 8.5, 7.5, 5, 5.5, 7, 7.5, 7, 6, 4, 3.5, 3, 2.5, 1.5, 1];

    static readonly (CaseSource Source, double Share)[] Channels =
    [
        (CaseSource.Hotline, 0.42), (CaseSource.InspectorPatrol, 0.33), (CaseSource.Video, 0.08), (CaseSource.WeChat, 0.07),
        (CaseSource.MobileApp, 0.04), (CaseSource.Website, 0.03), (CaseSource.UpperPlatform, 0.02), (CaseSource.LeaderInstruction, 0.01),
    ];

    static readonly string[] Streets = ["金城中路", "新建路", "南新西路", "百旺路", "河池大道", "东江路", "体育路", "环城北路", "金城东路", "思源路"];

    /// <summary>
    /// <paramref name="count"/> cases received between <paramref name="from"/> and <paramref name="to"/>, each carried
    /// until <paramref name="until"/> (by default <paramref name="to"/>: recent cases are still open; a later instant
    /// gives complete histories, the replicator's templates).
    /// </summary>
    public IEnumerable<GeneratedCase> Generate(int count, DateTimeOffset from, DateTimeOffset to, DateTimeOffset? until = null)
    {
        var days = Math.Max(1, (int)(to - from).TotalDays);
        var cumulative = Hourly.Select((_, h) => Hourly.Take(h + 1).Sum() / Hourly.Sum()).ToArray();
        for (var i = 0; i < count; i++)
        {
            // Day in order (cases are numbered per day), hour by the daily rhythm, minute at random.
            var day = from.Date.AddDays((long)i * days / count);
            var u = _rng.NextDouble();
            var hour = Array.FindIndex(cumulative, c => u <= c);
            var local = new DateTimeOffset(day.AddHours(hour).AddMinutes(_rng.NextDouble() * 60), world.Zone.GetUtcOffset(day));
            if (local > to) local = to.AddMinutes(-1);
            yield return One(local.ToUniversalTime(), until ?? to);
        }
    }

    GeneratedCase One(DateTimeOffset at, DateTimeOffset end)
    {
        var source = Pick(Channels);
        var (lat, lon) = _rng.NextDouble() < 0.97 ? world.GridPoints[_rng.Next(world.GridPoints.Count)] : (24.60 + _rng.NextDouble() * 0.01, 108.06);
        lat += (_rng.NextDouble() - 0.5) * 2e-4;
        lon += (_rng.NextDouble() - 0.5) * 2e-4;
        var street = Streets[_rng.Next(Streets.Length)];
        var address = $"金城江区{street}{_rng.Next(1, 400)}号";
        NewCase input;
        Category category;
        var citizen = source is CaseSource.Hotline or CaseSource.WeChat or CaseSource.MobileApp or CaseSource.Website;
        if (source == CaseSource.Hotline && _rng.NextDouble() < 0.6)
        {
            var (subject, detail) = world.Messages[_rng.Next(world.Messages.Count)];
            category = world.HotlineLeaves[_rng.Next(world.HotlineLeaves.Count)];
            input = new NewCase
            {
                Source = source, RequestType = (RequestType)_rng.Next(0, 6), Title = subject, Description = detail, CategoryCode = category.Key,
                Address = address, Latitude = lat, Longitude = lon,
            };
        }
        else
        {
            category = world.CityCategories[_rng.Next(world.CityCategories.Count)];
            var condition = category.Conditions[_rng.Next(category.Conditions.Count)];
            var spot = _rng.Next(4) switch { 0 => "附近", 1 => "路口", 2 => "人行道上", _ => "小区门口" };
            input = new NewCase
            {
                Source = source, RequestType = citizen ? RequestType.Complaint : RequestType.Report, CategoryCode = category.Key,
                Title = $"{street}{category.Name}", Description = $"{address}{spot}发现{category.Name}问题：{condition.Description}。",
                Address = address, Latitude = lat, Longitude = lon, Urgency = _rng.NextDouble() < 0.08 ? Urgency.Urgent : Urgency.Normal,
            };
        }
        if (citizen)
        {
            var anonymous = _rng.NextDouble() < 0.05;
            input = input with
            {
                // Generated identities only: the 100 prefix is no mobile range, names are surname + title.
                ReporterName = anonymous ? null : "张王李赵刘陈杨黄周吴"[_rng.Next(10)] + (_rng.Next(2) == 0 ? "先生" : "女士"),
                ReporterPhone = anonymous ? null : "100" + _rng.Next(0, 100_000_000).ToString("D8"),
                Anonymous = anonymous, Confidential = _rng.NextDouble() < 0.05,
            };
        }
        var place = world.Places.Resolve(lat, lon);
        var creator = source switch
        {
            CaseSource.InspectorPatrol => place?.GridCode is { } grid && world.GridInspectors?.GetValueOrDefault(grid) is { } own ? own : Staff(Role.Inspector),
            CaseSource.Hotline => Staff(Role.HotlineAgent),
            _ => Staff(Role.IntakeOperator),
        };
        var number = Number(at);
        var c = Case.Create(input, number, world.PlatformCode, place, null, new TransitionContext(creator, at, _deadlines));
        var events = new List<CaseEvent>(c.NewEvents);
        c.AcceptEvents();
        var lead = world.Routing.Suggest(new RoutingQuery(category.Key, category.Name, null, null, c.GridCode, c.StreetCode, c.DistrictCode ?? "451202")).LeadDepartment;
        if (lead is null || !world.DepartmentActors.ContainsKey(lead)) lead = world.Departments[_rng.Next(world.Departments.Count)];
        var steps = new List<CaseStep>();
        Walk(c, events, steps, at, end, category, lead);
        _recentNumbers.Add(number);
        if (_recentNumbers.Count > 1000) _recentNumbers.RemoveRange(0, 500);
        return new GeneratedCase(c, events, GeneratedCase.FactOf(c, events), new CaseRecipe(input, place, creator, at, steps));
    }

    void Walk(Case c, List<CaseEvent> events, List<CaseStep> steps, DateTimeOffset now, DateTimeOffset end, Category category, string lead)
    {
        for (var step = 0; step < 60; step++)
        {
            if (c.State is CaseState.Rejected or CaseState.Cancelled or CaseState.Transferred) return;
            var rows = new List<Transition>(RowsFrom(c.State));
            if (c.State == CaseState.Closed && c.FollowedUpAt is not null && c.FollowedUpAt >= c.ClosedAt)
            {
                // After the follow-up the history ends, unless a dissatisfied citizen's case is reopened.
                var unhappy = c.FollowUpSatisfaction == Satisfaction.Dissatisfied || c.FollowUpResolved == false;
                if (!unhappy || _rng.NextDouble() < 0.5) return;
                rows = rows.Where(t => t.Action == CaseAction.Reopen).ToList();
            }
            now += Delay(c.State);
            if (now > end) return;
            var done = false;
            for (var attempt = 0; attempt < 6 && !done && rows.Count > 0; attempt++)
            {
                var t = rows[PickIndex(rows)];
                var actor = ActorFor(c, t, lead);
                if (actor is null)
                {
                    rows.Remove(t);
                    continue;
                }
                try
                {
                    var input = Input(c, t, category, lead, now);
                    c.Perform(t.Action, input, new TransitionContext(actor, now, _deadlines));
                    steps.Add(new CaseStep(t.Action, input, actor, now));
                    done = true;
                }
                catch (Exception ex) when (ex is CaseValidationException or CaseRuleException or CaseForbiddenException)
                {
                    // The domain said no (a rule the generator does not model): try another row.
                    rows.Remove(t);
                }
            }
            events.AddRange(c.NewEvents);
            c.AcceptEvents();
            if (!done) return;
        }
    }

    /// <summary>Someone the row's roles include and the domain lets act now (the lead department, the assigned inspector …), or null.</summary>
    Actor? ActorFor(Case c, Transition t, string lead)
    {
        var candidates = world.Staff.Where(a => t.Roles.Any(a.Roles.Contains) && !a.Roles.Contains(Role.BackgroundWorker)).ToList();
        if (world.DepartmentActors.TryGetValue(c.LeadDepartmentCode ?? lead, out var dept) && t.Roles.Any(dept.Roles.Contains)) candidates.Insert(0, dept);
        for (var n = candidates.Count; n > 0; n--)
        {
            var i = _rng.Next(n);
            var a = candidates[i];
            if (c.WhyNot(t.Action, a, out _, out _) is null) return a;
            candidates.RemoveAt(i);
        }
        return null;
    }

    ActionInput Input(Case c, Transition t, Category category, string lead, DateTimeOffset now)
    {
        var input = new ActionInput();
        foreach (var f in t.Fields)
        {
            input = (f.Kind, f.Name) switch
            {
                (FieldKind.Text, "reason") => input with { Reason = Pick(["不属于本单位职责", "需协调相关单位", "现场情况复杂", "群众反映情况不实", "重复反映"]) },
                (FieldKind.Text, "result") => input with { Result = Pick(["已现场处置完毕", "已修复并恢复使用", "已清理干净", "已约谈当事人并整改"]) },
                (FieldKind.Text, "answer") => input with { Answer = "已按政策向市民解答。" },
                (FieldKind.Text, "comment") => input with { Comment = _rng.NextDouble() < 0.3 ? "处理及时" : null },
                (FieldKind.Text, "target") => input with { Target = "市12345热线" },
                (FieldKind.Text, "opinion") => input with { Opinion = _rng.NextDouble() < 0.5 ? "同意" : "情况属实，按规定办理" },
                (FieldKind.Text, _) => input,
                (FieldKind.Boolean, "confirmed") => input with { Confirmed = _rng.NextDouble() < 0.95 },
                (FieldKind.Boolean, "contacted") => input with { Contacted = _rng.NextDouble() < 0.9 },
                (FieldKind.Boolean, "resolved") => input with { Resolved = _rng.NextDouble() < 0.88 },
                (FieldKind.Department, _) => input with
                {
                    LeadDepartment = t.Action == CaseAction.Redispatch && world.Departments.Count > 1
                        ? world.Departments.Where(d => d != c.LeadDepartmentCode).ElementAt(_rng.Next(world.Departments.Count - 1)) : lead,
                },
                (FieldKind.Category, _) => input with { CategoryCode = category.Key },
                (FieldKind.StandardItem, _) => input with { StandardItem = category.Conditions.Count > 0 ? category.Conditions[0].Code : category.Key + "-01" },
                (FieldKind.DateTime, _) => input with { DueAt = (c.HandlingDueAt is { } due && due > now ? due : now).AddDays(_rng.Next(2, 8)) },
                (FieldKind.CaseNumber, _) => input with { TargetCase = _recentNumbers.Count > 0 ? _recentNumbers[_rng.Next(_recentNumbers.Count)] : null },
                (FieldKind.Satisfaction, _) => input with
                {
                    Satisfaction = input.Contacted == false ? null : _rng.NextDouble() switch
                    {
                        < 0.35 => Satisfaction.VerySatisfied, < 0.75 => Satisfaction.Satisfied, < 0.9 => Satisfaction.BasicallySatisfied, _ => Satisfaction.Dissatisfied,
                    },
                },
                (FieldKind.User, _) => input with { Inspector = world.Staff.FirstOrDefault(a => a.Roles.Contains(Role.Inspector))?.Id },
                _ => input,
            };
        }
        if (input.Satisfaction == Satisfaction.Dissatisfied) input = input with { Resolved = false };
        return input;
    }

    /// <summary>How long a case waits in a state before the next step: minutes at intake, days in handling.</summary>
    TimeSpan Delay(CaseState state)
    {
        var (min, mean) = state switch
        {
            CaseState.Reported or CaseState.PendingFiling => (2.0, 40.0),
            CaseState.Verifying => (20.0, 180.0),
            CaseState.PendingDispatch => (2.0, 60.0),
            CaseState.PendingSignFor => (5.0, 120.0),
            CaseState.Handling => (60.0, 1.5 * 24 * 60),
            CaseState.PendingCheck => (20.0, 8 * 60.0),
            CaseState.PendingClose => (5.0, 120.0),
            CaseState.Closed => (12 * 60.0, 24 * 60.0),
            CaseState.Suspended => (24 * 60.0, 5 * 24 * 60.0),
            _ => (30.0, 12 * 60.0),
        };
        return TimeSpan.FromMinutes(min - Math.Log(1 - _rng.NextDouble()) * (mean - min));
    }

    string Number(DateTimeOffset at)
    {
        var day = TimeZoneInfo.ConvertTime(at, world.Zone).ToString("yyyyMMdd");
        var n = _perDay[day] = _perDay.GetValueOrDefault(day) + 1;
        return $"{world.PlatformCode}-{day}-{n:D6}";
    }

    Actor Staff(Role role) => world.Staff.First(a => a.Roles.Contains(role));

    T Pick<T>(T[] items) => items[_rng.Next(items.Length)];

    T Pick<T>((T Item, double Share)[] items)
    {
        var u = _rng.NextDouble() * items.Sum(i => i.Share);
        foreach (var (item, share) in items)
            if ((u -= share) <= 0) return item;
        return items[^1].Item;
    }

    int PickIndex(List<Transition> rows)
    {
        var sum = 0.0;
        foreach (var r in rows) sum += WeightOf(r);
        var u = _rng.NextDouble() * sum;
        for (var i = 0; i < rows.Count; i++)
            if ((u -= WeightOf(rows[i])) <= 0) return i;
        return rows.Count - 1;
    }

    static readonly Dictionary<CaseAction, double> ActionWeights = Enum.GetValues<CaseAction>().ToDictionary(a => a, a => Weights.GetValueOrDefault(a.Name(), OtherWeight));

    static double WeightOf(Transition t) => ActionWeights[t.Action];

    static readonly Dictionary<CaseState, Transition[]> Rows = Enum.GetValues<CaseState>().ToDictionary(s => s, s => TransitionTable.All.Where(t => t.From.Contains(s)).ToArray());

    static Transition[] RowsFrom(CaseState state) => Rows[state];
}
