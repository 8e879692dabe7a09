using CityLoop.Domain.Cases;
using CityLoop.Domain.Geo;
using CityLoop.Domain.Identity;
using CityLoop.Domain.Indicators;
using CityLoop.Server.Data;
using CityLoop.Server.Features.Cases;
using CityLoop.Server.Features.Identity;
using CityLoop.Server.Features.Reference;
using CityLoop.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CityLoop.Server.Features.Indicators;

/// <summary>Configuration of the 三率 and the assessments (section <c>Figures</c>).</summary>
public sealed class FiguresOptions
{
    public ThreeRateWeights ThreeRates { get; set; } = new();
    /// <summary>Whole past days of a figure come from the daily aggregates (decision 033); off, every figure reads the facts.</summary>
    public bool DayAggregates { get; set; } = true;
    /// <summary>How often the background job brings the daily aggregates up to date (0: never on this node).</summary>
    public int AggregateSeconds { get; set; } = 60;
    /// <summary>Replaces the default department scheme (成都金牛) when given.</summary>
    public AssessmentScheme? Departments { get; set; }
    public AssessmentScheme? Streets { get; set; }
    /// <summary>The people's schemes (REFERENCE §6 defaults): 监督员, 受理员, 值班长, 派遣员, and collection companies.</summary>
    public AssessmentScheme? Inspectors { get; set; }
    public AssessmentScheme? Intake { get; set; }
    public AssessmentScheme? ShiftLeaders { get; set; }
    public AssessmentScheme? Dispatchers { get; set; }
    public AssessmentScheme? Companies { get; set; }

    public AssessmentScheme Scheme(string subject)
    {
        var configured = subject switch
        {
            "department" => Departments, "street" => Streets, "inspector" => Inspectors, "intake" => Intake,
            "shift-leader" => ShiftLeaders, "dispatcher" => Dispatchers, "company" => Companies,
            // Sub-centres are assessed by the departments' scheme (decision 026).
            "platform" => Departments, _ => null,
        };
        if (configured is { Terms.Count: > 0 } c) return c with { Subject = subject };
        return subject == "platform" ? AssessmentScheme.DefaultDepartments with { Subject = "platform" } : AssessmentScheme.DefaultFor(subject);
    }

    public IReadOnlyList<string> Problems() =>
        [.. ThreeRates.Problems(), .. AssessmentScheme.Subjects.SelectMany(s => Scheme(s).Problems())];
}

public sealed record PeriodDto(string Kind, string Key, DateOnly FirstDay, DateOnly LastDay, DateTimeOffset From, DateTimeOffset To);

public sealed record ThreeRateRowDto(int? Rank, string Code, string Name, long FollowedUp, long Valid, long Resolved, long Satisfied,
    long BasicallySatisfied, decimal? Response, decimal? Resolution, decimal? Satisfaction, decimal? Composite);

public sealed record ThreeRateRankingDto(PeriodDto Period, string By, ThreeRateWeights Weights, IReadOnlyDictionary<string, string> HowZh,
    IReadOnlyDictionary<string, string> HowEn, ThreeRateRowDto Total, IReadOnlyList<ThreeRateRowDto> Rows);

public sealed record TopicCaseDto(Guid Id, string Number);

public sealed record TopicDto(int Rank, string CategoryCode, string CategoryName, string? PlaceCode, string PlaceName, int Cases, int Repeats,
    IReadOnlyList<TopicCaseDto> Items);

public sealed record MonthlyTopicsDto(PeriodDto Period, string HowZh, string HowEn, IReadOnlyList<TopicDto> Topics);

/// <summary>
/// One term of a score: <c>rate</c> is the figure (a count for a volume term, whose <c>volumeScore</c> is the score of
/// its step); <c>cases</c> is the drill-down — the API list of the cases behind the numerator, which adds up to it.
/// </summary>
public sealed record ScoreTermDto(string Indicator, string NameZh, string NameEn, decimal Weight, bool Inverse, decimal? Rate, long Numerator, long? Denominator,
    decimal? Points, decimal? VolumeScore = null, string? Cases = null);

public sealed record AssessmentRowDto(int? Rank, string Code, string Name, decimal? Score, string? Grade, decimal? PreviousScore, decimal? Change,
    IReadOnlyList<ScoreTermDto> Terms, string? Organisation = null);

public sealed record CompanyMissedInspectorDto(string Inspector, int Missed, int OwnReports, IReadOnlyList<TopicCaseDto> Cases);

public sealed record CompanyMissedDto(string Organisation, PeriodDto Period, int Missed, int OwnReports, IReadOnlyList<CompanyMissedInspectorDto> Inspectors);

public sealed record AssessmentDto(PeriodDto Period, string Subject, string NameZh, string NameEn, decimal FullMarks, string HowZh, string HowEn,
    IReadOnlyList<AssessmentRowDto> Rows);

/// <summary>
/// The rankings the centre publishes: the 三率 of every handling unit and street from the citizens' follow-up answers,
/// 每月一题 (the problems that recur most by category and place), and the weighted assessments of departments and
/// streets — all sums over <c>case_facts</c>, per unit, in one grouped query per counter set.
/// </summary>
public sealed class RankingQueries(CityLoopDb db, IndicatorQueries indicators, ReferenceCache reference, IOptions<FiguresOptions> options,
    IOptions<PlatformOptions> platform, TimeProvider clock, Inspector.PatrolService patrol, FactDays factDays)
{
    public static readonly IReadOnlySet<Role> Readers = new HashSet<Role> { Role.Supervisor, Role.ShiftLeader, Role.Dispatcher };

    public static void Authorize(Actor actor)
    {
        if (!actor.Roles.Any(Readers.Contains))
            throw new CaseForbiddenException("Rankings and assessments are for supervisors, shift leaders and dispatchers.");
    }

    /// <summary>The platform a ranking covers: a sub-centre's staff their own only; the root's any, or all (decision 026).</summary>
    public static string? Scope(Actor actor, string? platform)
    {
        Authorize(actor);
        if (actor.PlatformCode is null) return string.IsNullOrWhiteSpace(platform) ? null : platform.Trim();
        if (!string.IsNullOrWhiteSpace(platform) && platform.Trim() != actor.PlatformCode)
            throw new CaseForbiddenException("A sub-centre's staff see their own platform's rankings only.");
        return actor.PlatformCode;
    }

    /// <summary>The period a query names (a key such as 2026-06, or a day in it); by default the latest complete one.</summary>
    public Period ResolvePeriod(string? kind, string? key)
    {
        var k = string.IsNullOrWhiteSpace(kind) ? PeriodKind.Month
            : Periods.Names.TryGetValue(kind.Trim(), out var pk) ? pk
            : throw CaseValidationException.Single("kind", "The kind of period is day, week, half-month, month, quarter or year.");
        if (string.IsNullOrWhiteSpace(key))
            return Periods.LatestComplete(k, DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), platform.Value.Zone).DateTime));
        return Periods.Parse(k, key) ?? throw CaseValidationException.Single("period",
            $"'{key}' is not a {Periods.Name(k)}: give e.g. 2026-06 (month), 2026-06-H1 (half-month), 2026-W23 (week), 2026-Q2, 2026, or a day yyyy-MM-dd.");
    }

    public PeriodDto Dto(Period p) =>
        new(Periods.Name(p.Kind), p.Key, p.Start, p.End.AddDays(-1), indicators.LocalMidnight(p.Start), indicators.LocalMidnight(p.End));

    IndicatorSlice Slice(Period p, string? platformCode) =>
        new(p.Start.ToString("yyyy-MM-dd"), p.End.AddDays(-1).ToString("yyyy-MM-dd"), platformCode, null, null, null, null, null);

    async Task<List<(string Code, string Name)>> UnitsAsync(string by, CancellationToken ct, string? platformCode = null) => by switch
    {
        // A ranking within one platform lists that platform's departments (decision 026); across the deployment, all.
        "department" => (await db.Departments.AsNoTracking()
                .Where(d => platformCode == null || d.PlatformCode == (platformCode == platform.Value.Code ? null : platformCode))
                .OrderBy(d => d.Code).Select(d => new { d.Code, d.Name }).ToListAsync(ct))
            .Select(d => (d.Code, d.Name)).ToList(),
        // The city ranks its sub-centres (and itself) by the same indicators as departments.
        "platform" => (await db.Set<PlatformRow>().AsNoTracking().OrderBy(p => p.Code).Select(p => new { p.Code, p.Name }).ToListAsync(ct))
            .Select(p => (p.Code, p.Name)).Prepend((platform.Value.Code, platform.Value.Name)).ToList(),
        _ => reference.Geo.Divisions.OfLevel(DivisionLevel.Street).OrderBy(d => d.Code).Select(d => (d.Code, d.Name)).ToList(),
    };

    static string Column(string by) => by switch
    {
        "department" => nameof(CaseFact.LeadDepartmentCode),
        "platform" => nameof(CaseFact.PlatformCode),
        "street" => nameof(CaseFact.StreetCode),
        _ => throw CaseValidationException.Single("by", "Rank by 'department', 'platform' or 'street'."),
    };

    /// <summary>The subject a path or query names: departments, streets, inspectors, intake, shift-leaders, dispatchers, companies.</summary>
    public static string? SubjectOf(string? name) => name?.Trim() switch
    {
        "department" or "departments" => "department",
        "street" or "streets" => "street",
        "inspector" or "inspectors" => "inspector",
        "intake" or "intake-operators" or "intake-operator" => "intake",
        "shift-leader" or "shift-leaders" => "shift-leader",
        "dispatcher" or "dispatchers" => "dispatcher",
        "company" or "companies" => "company",
        _ => null,
    };

    public static Role RoleOf(string subject) => subject switch
    {
        "inspector" or "company" => Role.Inspector,
        "intake" => Role.IntakeOperator,
        "shift-leader" => Role.ShiftLeader,
        _ => Role.Dispatcher,
    };

    /// <summary>A person (by user name) or a company (by organisation) with the user ids whose figures are theirs.</summary>
    public sealed record Assessee(string Code, string Name, string[] Ids, string? Organisation);

    /// <summary>The people holding the subject's role, or the organisations of the inspectors (each with its inspectors).</summary>
    public async Task<List<Assessee>> AssesseesAsync(string subject, CancellationToken ct)
    {
        var role = RoleOf(subject);
        var kebab = role.ToKebab();
        var users = (await db.Users.AsNoTracking().Where(u => u.Roles.Contains(kebab))
                .Select(u => new { u.Id, u.UserName, u.DisplayName, u.Roles, u.Organisation }).ToListAsync(ct))
            .Where(u => Data.User.ParseRoles(u.Roles).Contains(role)).OrderBy(u => u.UserName, StringComparer.Ordinal).ToList();
        if (subject == "company")
            return users.Where(u => !string.IsNullOrWhiteSpace(u.Organisation)).GroupBy(u => u.Organisation!.Trim())
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new Assessee(g.Key, g.Key, g.Select(u => u.Id.ToString()).ToArray(), g.Key)).ToList();
        return users.Select(u => new Assessee(u.UserName, u.DisplayName, [u.Id.ToString()], u.Organisation)).ToList();
    }

    public async Task<ThreeRateRankingDto> ThreeRatesAsync(Period period, string? by, string? platformCode, CancellationToken ct)
    {
        by = string.IsNullOrWhiteSpace(by) ? "department" : by.Trim();
        var column = Column(by);
        var weights = options.Value.ThreeRates;
        var p = Dto(period);
        // Whole past days from the daily aggregates, the rest from the facts (decision 033).
        var plan = await factDays.PlanAsync(ct);
        var (days, live) = plan is null ? ([], [(p.From, p.To)]) : plan.Split(FactDate.FollowedUp, p.From, p.To);
        var sums = new List<(string? Key, long FollowedUp, long Valid, long Resolved, long Satisfied, long Basically)>();
        if (live.Count > 0)
        {
            var rows = indicators.FilterRanges(Slice(period, platformCode) with { From = null, To = null }, FactDate.FollowedUp, live);
            sums.AddRange((await rows.GroupBy(f => EF.Property<string?>(f, column)).Select(g => new
            {
                g.Key,
                FollowedUp = g.Sum(f => f.FollowedUp),
                Valid = g.Sum(f => f.Contacted),
                Resolved = g.Sum(f => f.Contacted == 1 ? f.Resolved : 0),
                Satisfied = g.Sum(f => f.Contacted == 1 ? f.Satisfied : 0),
                Basically = g.Sum(f => f.Contacted == 1 ? f.BasicallySatisfied : 0),
            }).ToListAsync(ct)).Select(g => (g.Key, (long)g.FollowedUp, (long)g.Valid, (long)g.Resolved, (long)g.Satisfied, (long)g.Basically)));
        }
        if (days.Count > 0)
        {
            var dim = by == "platform" ? null : FactDayShape.Column(db, column);
            var read = await FactDayReads.SumAsync(db, FactDate.FollowedUp, days, dim is null ? [""] : ["", dim], platformCode, null,
                ["followed_up", "contacted", "contacted_resolved", "contacted_satisfied", "contacted_basically"], false, ct);
            // The whole platform's less the slices': the follow-ups of no department (street), for the total.
            var whole = new long[5];
            foreach (var r in read)
            {
                if (dim is null || r.Dim == dim)
                {
                    sums.Add((dim is null ? r.Platform : r.Key, r.Sums[0], r.Sums[1], r.Sums[2], r.Sums[3], r.Sums[4]));
                    if (dim is not null) for (var i = 0; i < 5; i++) whole[i] -= r.Sums[i];
                }
                else for (var i = 0; i < 5; i++) whole[i] += r.Sums[i];
            }
            if (dim is not null) sums.Add((null, whole[0], whole[1], whole[2], whole[3], whole[4]));
        }
        sums = sums.GroupBy(s => s.Key).Select(g => (g.Key, g.Sum(s => s.FollowedUp), g.Sum(s => s.Valid), g.Sum(s => s.Resolved),
            g.Sum(s => s.Satisfied), g.Sum(s => s.Basically))).ToList();
        ThreeRateRowDto Row(string code, string name, ThreeRateSums s, int? rank = null)
        {
            var r = ThreeRates.Compute(s, weights);
            return new ThreeRateRowDto(rank, code, name, s.FollowedUp, s.Valid, s.Resolved, s.Satisfied, s.BasicallySatisfied,
                r.Response, r.Resolution, r.Satisfaction, r.Composite);
        }
        var byCode = sums.Where(s => s.Key is not null).ToDictionary(s => s.Key!, s => new ThreeRateSums(s.FollowedUp, s.Valid, s.Resolved, s.Satisfied, s.Basically));
        var units = await UnitsAsync(by, ct, platformCode);
        // Units with follow-ups but no longer in the reference data still appear, under their code.
        foreach (var code in byCode.Keys.Where(k => units.All(u => u.Code != k)).Order(StringComparer.Ordinal).ToList()) units.Add((code, code));
        var empty = new ThreeRateSums(0, 0, 0, 0, 0);
        var unranked = units.Select(u => Row(u.Code, u.Name, byCode.GetValueOrDefault(u.Code, empty))).ToList();
        var ranked = Ranking.Rank(unranked, r => r.Composite).Select(x => x.Row with { Rank = x.Rank }).ToList();
        var total = new ThreeRateSums(sums.Sum(s => s.FollowedUp), sums.Sum(s => s.Valid), sums.Sum(s => s.Resolved),
            sums.Sum(s => s.Satisfied), sums.Sum(s => s.Basically));
        return new ThreeRateRankingDto(p, by, weights,
            new Dictionary<string, string>
            {
                ["response"] = ThreeRates.HowResponseZh, ["resolution"] = ThreeRates.HowResolutionZh,
                ["satisfaction"] = ThreeRates.HowSatisfactionZh + $"基本满意系数 {weights.BasicallySatisfiedFactor:0.##}。",
                ["composite"] = ThreeRates.HowCompositeZh + $"权重 {weights.Response:0.##} / {weights.Resolution:0.##} / {weights.Satisfaction:0.##}。",
            },
            new Dictionary<string, string>
            {
                ["response"] = ThreeRates.HowResponseEn, ["resolution"] = ThreeRates.HowResolutionEn,
                ["satisfaction"] = ThreeRates.HowSatisfactionEn + $" Factor {weights.BasicallySatisfiedFactor:0.##}.",
                ["composite"] = ThreeRates.HowCompositeEn + $" Weights {weights.Response:0.##} / {weights.Resolution:0.##} / {weights.Satisfaction:0.##}.",
            },
            Row("", "", total), ranked);
    }

    public const string TopicsHowZh = "期内受理的诉求按案件类别与发生地（社区，无社区时为街道）归组，同类同地至少 2 件即为反复出现的问题，按件数排序。";
    public const string TopicsHowEn = "Requests received in the period, grouped by category and place (community, or street where there is none); a group of two or more is a recurring problem; largest first.";

    public async Task<MonthlyTopicsDto> TopicsAsync(Period period, int? top, string? platformCode, CancellationToken ct)
    {
        var take = Math.Clamp(top ?? 10, 1, 50);
        var p = Dto(period);
        var rows = indicators.Filter(Slice(period, platformCode), FactDate.Received, p.From, p.To).Where(f => f.CategoryCode != null);
        var groups = await rows.GroupBy(f => new { f.CategoryCode, Place = f.CommunityCode ?? f.StreetCode })
            .Select(g => new { g.Key.CategoryCode, g.Key.Place, Count = g.Count(), Repeats = g.Sum(f => f.Repeat) })
            .Where(g => g.Count >= 2)
            .OrderByDescending(g => g.Count).ThenBy(g => g.CategoryCode).ThenBy(g => g.Place)
            .Take(take).ToListAsync(ct);
        var catalogue = reference.Catalogue.Current;
        var divisions = reference.Geo.Divisions;
        var topics = new List<TopicDto>();
        // The topics' cases in one read of the period's rows (one per topic read the month ten times), narrowed to the
        // topics' categories and places (a few pairs out of the month's thousands; the pairs themselves are picked below).
        var categories = groups.Select(g => g.CategoryCode).Distinct().ToArray();
        var places = groups.Where(g => g.Place != null).Select(g => g.Place!).Distinct().ToArray();
        var placeless = groups.Any(g => g.Place == null);
        var candidates = (await rows.Where(f => categories.Contains(f.CategoryCode)
                    && ((f.CommunityCode != null && places.Contains(f.CommunityCode))
                        || (f.CommunityCode == null && ((f.StreetCode != null && places.Contains(f.StreetCode)) || (placeless && f.StreetCode == null)))))
                .Select(f => new { f.CategoryCode, Place = f.CommunityCode ?? f.StreetCode, f.CaseId, f.CaseNumber }).ToListAsync(ct))
            .ToLookup(f => (f.CategoryCode, f.Place));
        foreach (var g in groups)
        {
            var items = candidates[(g.CategoryCode, g.Place)].OrderBy(f => f.CaseNumber, StringComparer.Ordinal).Take(200)
                .Select(f => new TopicCaseDto(f.CaseId, f.CaseNumber)).ToList();
            var placeName = g.Place is null ? Shared.Ui.Pick("未定位", "No place") : divisions.Find(g.Place)?.Name ?? g.Place;
            topics.Add(new TopicDto(topics.Count + 1, g.CategoryCode!, catalogue?.Find(g.CategoryCode!)?.Name ?? g.CategoryCode!, g.Place, placeName,
                g.Count, g.Repeats, items));
        }
        return new MonthlyTopicsDto(p, TopicsHowZh, TopicsHowEn, topics);
    }

    public async Task<AssessmentDto> AssessAsync(string subject, Period period, string? platformCode, CancellationToken ct, string? only = null)
    {
        if (AssessmentScheme.IsPersonal(subject)) return await AssessPeopleAsync(subject, period, platformCode, only, ct);
        var column = Column(subject);
        var scheme = options.Value.Scheme(subject);
        var (current, previous) = await TermRatesAsync(scheme, column, period, platformCode, ct);
        var units = await UnitsAsync(subject, ct, platformCode);
        foreach (var code in current.Keys.Where(k => units.All(u => u.Code != k)).Order(StringComparer.Ordinal).ToList()) units.Add((code, code));
        var rows = units.Select(u =>
        {
            var mine = current.GetValueOrDefault(u.Code) ?? [];
            var rates = scheme.Terms.ToDictionary(t => t.Indicator, t => mine.GetValueOrDefault(t.Indicator).Rate);
            var score = scheme.Score(rates);
            var before = previous.GetValueOrDefault(u.Code) is { } prev
                ? scheme.Score(scheme.Terms.ToDictionary(t => t.Indicator, t => prev.GetValueOrDefault(t.Indicator).Rate)) : null;
            var terms = scheme.Terms.Select(t =>
            {
                var def = IndicatorCatalogue.Find(t.Indicator)!;
                var (rate, n, d) = mine.GetValueOrDefault(t.Indicator);
                decimal? points = rate is { } r ? Math.Round(t.Weight * (t.Inverse ? 1 - r / 100m : r / 100m), 2, MidpointRounding.AwayFromZero) : null;
                return new ScoreTermDto(t.Indicator, def.NameZh, def.NameEn, t.Weight, t.Inverse, rate, n, d, points);
            }).ToList();
            return new AssessmentRowDto(null, u.Code, u.Name, score, scheme.Grade(score), before, score is { } s && before is { } b ? s - b : null, terms);
        }).ToList();
        var ranked = Ranking.Rank(rows, r => r.Score).Select(x => x.Row with { Rank = x.Rank }).ToList();
        return new AssessmentDto(Dto(period), subject, scheme.NameZh, scheme.NameEn, scheme.FullMarks, scheme.How(false), scheme.How(true), ranked);
    }

    /// <summary>
    /// The people's assessment: each term's figure grouped by the person its indicator names (the reporter, verifier,
    /// checker, filer, dispatcher, closer, intake operator; 漏报率 from the patrol records), summed over the company's
    /// inspectors for a company. <paramref name="only"/> keeps one person or company (a dashboard's own score).
    /// </summary>
    async Task<AssessmentDto> AssessPeopleAsync(string subject, Period period, string? platformCode, string? only, CancellationToken ct)
    {
        var scheme = options.Value.Scheme(subject);
        var people = await AssesseesAsync(subject, ct);
        if (only is not null) people = people.Where(p => p.Code == only).ToList();
        var both = await PeopleSumsAsync(scheme, people, period, platformCode, ct);
        var (current, previous) = (both[0], both[1]);
        var range = Dto(period);
        var rows = people.Select(person =>
        {
            (decimal? Value, long N, long? D) Figure(Dictionary<string, Dictionary<string, (long N, long D)>> sums, string indicator)
            {
                var def = IndicatorCatalogue.Find(indicator)!;
                long n = 0, d = 0;
                foreach (var id in person.Ids)
                    if (sums.GetValueOrDefault(indicator)?.GetValueOrDefault(id) is { } s) { n += s.N; d += s.D; }
                return (def.ValueOf(n, d), n, def.Denominator is null ? null : d);
            }
            var values = scheme.Terms.ToDictionary(t => t.Indicator, t => Figure(current, t.Indicator).Value);
            var score = scheme.Score(values);
            var before = scheme.Score(scheme.Terms.ToDictionary(t => t.Indicator, t => Figure(previous, t.Indicator).Value));
            var terms = scheme.Terms.Select(t =>
            {
                var def = IndicatorCatalogue.Find(t.Indicator)!;
                var (value, n, d) = Figure(current, t.Indicator);
                var share = t.Share(value);
                decimal? points = share is { } sh ? Math.Round(t.Weight * sh, 2, MidpointRounding.AwayFromZero) : null;
                decimal? volume = t.Steps is { Count: > 0 } && share is { } vs ? vs * 100 : null;
                return new ScoreTermDto(t.Indicator, def.NameZh, def.NameEn, t.Weight, t.Inverse, value, n, d, points, volume,
                    DrillDown(def, subject, person, range, platformCode));
            }).ToList();
            return new AssessmentRowDto(null, person.Code, person.Name, score, scheme.Grade(score), before,
                score is { } sc && before is { } b ? sc - b : null, terms, person.Organisation);
        }).ToList();
        var ranked = Ranking.Rank(rows, r => r.Score).Select(x => x.Row with { Rank = x.Rank }).ToList();
        return new AssessmentDto(range, subject, scheme.NameZh, scheme.NameEn, scheme.FullMarks, scheme.How(false), scheme.How(true), ranked);
    }

    /// <summary>The API list behind a person's figure: the indicator's cases of that person (or company), or the 漏报 list.</summary>
    static string DrillDown(IndicatorDefinition def, string subject, Assessee person, PeriodDto range, string? platformCode)
    {
        var period = $"from={range.FirstDay:yyyy-MM-dd}&to={range.LastDay:yyyy-MM-dd}";
        var platform = string.IsNullOrWhiteSpace(platformCode) ? "" : "&platform=" + Uri.EscapeDataString(platformCode);
        if (def.Subject == IndicatorSubject.Patrol)
            return subject == "company"
                ? $"/api/v1/assessments/companies/{Uri.EscapeDataString(person.Code)}/missed?kind={range.Kind}&period={range.Key}"
                : $"/api/v1/inspectors/{Uri.EscapeDataString(person.Code)}/missed?{period}";
        var who = subject == "company" ? "organisation=" + Uri.EscapeDataString(person.Code) : "person=" + Uri.EscapeDataString(person.Code);
        return $"/api/v1/indicators/{def.Id}/cases?{who}&{period}{platform}";
    }

    async Task<List<(string Id, string UserName)>> UserNamesAsync(Assessee person, CancellationToken ct)
    {
        var guids = person.Ids.Select(Guid.Parse).ToArray();
        return (await db.Users.AsNoTracking().Where(u => guids.Contains(u.Id)).Select(u => new { u.Id, u.UserName }).ToListAsync(ct))
            .Select(u => (u.Id.ToString(), u.UserName)).ToList();
    }

    /// <summary>A company's 漏报: the missed cases of each of its inspectors over the period (the drill-down of its 漏报率).</summary>
    public async Task<CompanyMissedDto> CompanyMissedAsync(string organisation, Period period, CancellationToken ct)
    {
        var company = (await AssesseesAsync("company", ct)).FirstOrDefault(c => c.Code == organisation)
            ?? throw new NotFoundException($"No inspector belongs to '{organisation}'.");
        var p = Dto(period);
        var inspectors = new List<CompanyMissedInspectorDto>();
        foreach (var (id, userName) in (await UserNamesAsync(company, ct)).OrderBy(u => u.UserName, StringComparer.Ordinal))
        {
            var (_, _, found, own) = await patrol.FindMissedAsync(Guid.Parse(id), userName, p.From, p.To, ct);
            inspectors.Add(new CompanyMissedInspectorDto(userName, found.Count, own,
                found.OrderBy(c => c.CreatedAt).Select(c => new TopicCaseDto(c.Id, c.Number)).ToList()));
        }
        return new CompanyMissedDto(organisation, p, inspectors.Sum(i => i.Missed), inspectors.Sum(i => i.OwnReports), inspectors);
    }

    /// <summary>
    /// Per period (the period and the one before), per indicator, per user id: the sums of numerator and denominator.
    /// One grouped pass over the fact rows per accountable-person column (<see cref="FactSums"/>), and one read of the
    /// cases for every inspector's 漏报 (<see cref="Inspector.PatrolService.MissedCountsAsync"/>).
    /// </summary>
    async Task<List<Dictionary<string, Dictionary<string, (long N, long D)>>>> PeopleSumsAsync(AssessmentScheme scheme, List<Assessee> people,
        Period period, string? platformCode, CancellationToken ct)
    {
        var ranges = new[] { Dto(period), Dto(period.Previous()) }.Select(p => (p.From, p.To)).ToList();
        var result = ranges.Select(_ => new Dictionary<string, Dictionary<string, (long, long)>>()).ToList();
        var ids = people.SelectMany(x => x.Ids).Distinct().ToArray();
        var defs = scheme.Terms.Select(t => t.Indicator).Distinct().Select(id => IndicatorCatalogue.Find(id)!).ToList();
        foreach (var def in defs)
            foreach (var r in result) r[def.Id] = [];
        if (defs.FirstOrDefault(d => d.Subject == IndicatorSubject.Patrol) is { } missed)
        {
            var counts = await patrol.MissedCountsAsync(ids.Select(Guid.Parse).ToList(), ranges, ct);
            for (var k = 0; k < ranges.Count; k++)
                foreach (var (id, (found, own)) in counts[k]) result[k][missed.Id][id.ToString()] = (found, found + own);
        }
        foreach (var byActor in defs.Where(d => d.Subject != IndicatorSubject.Patrol).GroupBy(d => d.Actor!))
        {
            var sums = await FactSums.GroupedAsync(db, byActor.Key, byActor.ToList(), ranges, platformCode, ids, ct, await factDays.PlanAsync(ct));
            for (var k = 0; k < ranges.Count; k++)
                foreach (var (id, figures) in sums[k])
                    foreach (var (indicator, nd) in figures) result[k][indicator][id] = nd;
        }
        return result;
    }

    /// <summary>
    /// Per unit, each term's rate with its sums, for the period and the one before: one grouped pass over the fact rows
    /// for every term and both periods (<see cref="FactSums"/>).
    /// </summary>
    async Task<(Dictionary<string, Dictionary<string, (decimal? Rate, long N, long? D)>> Current, Dictionary<string, Dictionary<string, (decimal? Rate, long N, long? D)>> Previous)>
        TermRatesAsync(AssessmentScheme scheme, string column, Period period, string? platformCode, CancellationToken ct)
    {
        var defs = scheme.Terms.Select(t => t.Indicator).Distinct().Select(id => IndicatorCatalogue.Find(id)!).ToList();
        var (p, before) = (Dto(period), Dto(period.Previous()));
        var sums = await FactSums.GroupedAsync(db, column, defs, [(p.From, p.To), (before.From, before.To)], platformCode, null, ct, await factDays.PlanAsync(ct));
        Dictionary<string, Dictionary<string, (decimal?, long, long?)>> Rates(Dictionary<string, Dictionary<string, (long N, long D)>> byUnit) =>
            byUnit.ToDictionary(u => u.Key, u => u.Value.ToDictionary(t => t.Key, t =>
            {
                var def = IndicatorCatalogue.Find(t.Key)!;
                return (def.ValueOf(t.Value.N, t.Value.D), t.Value.N, (long?)t.Value.D);
            }));
        return (Rates(sums[0]), Rates(sums[1]));
    }
}

public static class RankingEndpoints
{
    public static void MapRankingEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1").WithTags("Rankings").RequireAuthorization(AuthSetup.ApiPolicy);
        g.MapGet("/three-rates", ThreeRateRanking).WithName("GetThreeRates");
        g.MapGet("/monthly-topics", Topics).WithName("GetMonthlyTopics");
        g.MapGet("/assessments/{subject}", Assess).WithName("GetAssessment");
        g.MapGet("/assessments/companies/{organisation}/missed", CompanyMissed).WithName("GetCompanyMissed");
    }

    static async Task<Ok<ThreeRateRankingDto>> ThreeRateRanking(string? kind, string? period, string? by, string? platform, CurrentActor current,
        RankingQueries queries, CancellationToken ct)
    {
        platform = RankingQueries.Scope(await current.GetAsync(), platform);
        return TypedResults.Ok(await queries.ThreeRatesAsync(queries.ResolvePeriod(kind, period), by, platform, ct));
    }

    static async Task<Ok<MonthlyTopicsDto>> Topics(string? kind, string? period, int? top, string? platform, CurrentActor current, RankingQueries queries,
        CancellationToken ct)
    {
        platform = RankingQueries.Scope(await current.GetAsync(), platform);
        return TypedResults.Ok(await queries.TopicsAsync(queries.ResolvePeriod(kind, period), top, platform, ct));
    }

    static async Task<Ok<CompanyMissedDto>> CompanyMissed(string organisation, string? kind, string? period, string? from, string? to,
        CurrentActor current, RankingQueries queries, CancellationToken ct)
    {
        RankingQueries.Authorize(await current.GetAsync());
        return TypedResults.Ok(await queries.CompanyMissedAsync(organisation, queries.ResolvePeriod(kind, period ?? from), ct));
    }

    static async Task<Ok<AssessmentDto>> Assess(string subject, string? kind, string? period, string? platform, CurrentActor current,
        RankingQueries queries, CancellationToken ct)
    {
        platform = RankingQueries.Scope(await current.GetAsync(), platform);
        var s = subject is "platforms" or "platform" or "sub-centres" ? "platform" : RankingQueries.SubjectOf(subject)
            ?? throw new NotFoundException($"There is no assessment of '{subject}': departments, platforms, streets, inspectors, intake, shift-leaders, dispatchers or companies.");
        return TypedResults.Ok(await queries.AssessAsync(s, queries.ResolvePeriod(kind, period), platform, ct));
    }
}
