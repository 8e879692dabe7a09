using CityLoop.Domain.Catalogue;

namespace CityLoop.Domain.Routing;

/// <summary>
/// Suggests who handles a case. Precedence: a component rule for that component id, then the maintaining
/// department from the component register, then grid, street, district rules, then the category default.
/// Within one scope kind the most specific category wins: 小类 key, then 大类 prefix, then any category.
/// </summary>
public sealed class ResponsibilityMatrix
{
    private readonly Func<string, string?> _departmentName;

    /// <param name="rules">Rules; structural errors (see <see cref="Validate"/>) throw <see cref="RuleValidationException"/>.</param>
    /// <param name="departmentName">Department code → display name for explanations; unknown codes show as the code.</param>
    public ResponsibilityMatrix(IEnumerable<ResponsibilityRule> rules, Func<string, string?>? departmentName = null)
    {
        Rules = rules.ToList();
        var errors = Validate(Rules);
        if (errors.Count > 0) throw new RuleValidationException(errors);
        _departmentName = departmentName ?? (_ => null);
    }

    public IReadOnlyList<ResponsibilityRule> Rules { get; }

    public RoutingSuggestion Suggest(RoutingQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var componentRule = Best(query, RuleScopeKind.ComponentOwner, query.ComponentId);
        if (componentRule is not null) return FromRule(query, componentRule);

        // The register is attribute data about the component, so an explicit component rule overrides it,
        // but it is still more precise than any area rule.
        if (!string.IsNullOrWhiteSpace(query.ComponentMaintainingDepartment))
            return new RoutingSuggestion(query.ComponentMaintainingDepartment, [], null, RuleScopeKind.ComponentOwner,
                SuggestionBasis.ComponentRegister,
                $"{query.CategoryName} 部件 {query.ComponentId ?? "(无编号)"} → {Name(query.ComponentMaintainingDepartment)}，依据部件台账的养护单位")
            {
                ExplanationEn = $"{query.CategoryName} component {query.ComponentId ?? "(no id)"} → {Name(query.ComponentMaintainingDepartment)}, the maintainer in the component register",
            };

        var rule = Best(query, RuleScopeKind.Grid, query.GridCode)
            ?? Best(query, RuleScopeKind.Street, query.EffectiveStreetCode)
            ?? Best(query, RuleScopeKind.District, query.EffectiveDistrictCode)
            ?? Best(query, RuleScopeKind.CategoryDefault, null);
        if (rule is not null) return FromRule(query, rule);

        var where = query.GridCode is not null ? $"网格 {query.GridCode}"
            : query.EffectiveStreetCode is not null ? $"街道 {query.EffectiveStreetCode}"
            : query.EffectiveDistrictCode is not null ? $"区县 {query.EffectiveDistrictCode}"
            : "未定位";
        var whereEn = query.GridCode is not null ? $"grid {query.GridCode}"
            : query.EffectiveStreetCode is not null ? $"street {query.EffectiveStreetCode}"
            : query.EffectiveDistrictCode is not null ? $"district {query.EffectiveDistrictCode}"
            : "no place";
        return new RoutingSuggestion(null, [], null, null, SuggestionBasis.None,
            $"{query.CategoryName}（{query.CategoryCode}，{where}）没有适用的责任规则，请人工派遣")
        {
            ExplanationEn = $"No responsibility rule applies to {query.CategoryName} ({query.CategoryCode}, {whereEn}): choose the department",
        };
    }

    /// <summary>
    /// Every (leaf category, area) pair with no responsible department at all. Non-leaf categories are skipped
    /// because cases are filed against leaves only.
    /// </summary>
    public IReadOnlyList<RoutingGap> FindGaps(IEnumerable<Category> categories, IEnumerable<RoutingArea> areas)
    {
        var areaList = areas.ToList();
        var gaps = new List<RoutingGap>();
        foreach (var category in categories.Where(c => c.IsLeaf))
            foreach (var area in areaList)
            {
                var query = new RoutingQuery(category.Key, category.Name,
                    GridCode: area.GridCode, StreetCode: area.StreetCode, DistrictCode: area.DistrictCode);
                if (!Suggest(query).Found) gaps.Add(new RoutingGap(category.Key, category.Name, area));
            }
        return gaps;
    }

    /// <summary>
    /// Checks rules: required fields, duplicate ids, scope values of the right shape (and known, when
    /// <paramref name="options"/> lists the known codes), a lead also listed as assisting, and two rules
    /// covering exactly the same category and area (which would make the suggestion arbitrary).
    /// </summary>
    public static IReadOnlyList<RuleValidationError> Validate(IEnumerable<ResponsibilityRule> rules,
        RuleValidationOptions? options = null)
    {
        options ??= new RuleValidationOptions();
        var errors = new List<RuleValidationError>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var coverage = new Dictionary<(string?, RuleScopeKind, string?), string>();

        foreach (var rule in rules)
        {
            var id = string.IsNullOrWhiteSpace(rule.Id) ? null : rule.Id;
            void Fail(string field, string message) => errors.Add(new RuleValidationError(id, field, message));

            if (id is null) Fail("id", "rule id is required");
            else if (!ids.Add(id)) Fail("id", $"duplicate rule id {id}");

            if (rule.CategoryCode is { } cat)
            {
                if (!CategoryKey.IsValid(cat))
                    Fail("categoryCode", $"'{cat}' is not a category key (kind letter C/E/H + 2, 4 or 6 digits, e.g. C0101 or C01)");
                else if (options.KnownCategoryCodes is { } known && !known.Contains(cat))
                    Fail("categoryCode", $"unknown category {cat}");
            }

            ValidateScope(rule, options, Fail);

            if (string.IsNullOrWhiteSpace(rule.LeadDepartment)) Fail("lead", "lead department is required");
            else if (options.KnownDepartments is { } depts && !depts.Contains(rule.LeadDepartment))
                Fail("lead", $"unknown department {rule.LeadDepartment}");
            foreach (var a in rule.AssistingDepartments)
            {
                if (string.IsNullOrWhiteSpace(a)) Fail("assisting", "empty assisting department code");
                else if (a == rule.LeadDepartment)
                    Fail("assisting", $"{a} is the lead department and cannot also be assisting");
                else if (options.KnownDepartments is { } d && !d.Contains(a))
                    Fail("assisting", $"unknown department {a}");
            }
            foreach (var dup in rule.AssistingDepartments.GroupBy(a => a).Where(g => g.Count() > 1))
                Fail("assisting", $"{dup.Key} is listed more than once");

            var key = (rule.CategoryCode, rule.ScopeKind, rule.ScopeValue);
            if (coverage.TryGetValue(key, out var other))
                Fail("scope", $"rules {other} and {id} both cover category {rule.CategoryCode ?? "(any)"} at " +
                              $"{ScopeText(rule)}: keep one");
            else if (id is not null)
                coverage[key] = id;
        }
        return errors;
    }

    private static void ValidateScope(ResponsibilityRule rule, RuleValidationOptions options, Action<string, string> fail)
    {
        var value = rule.ScopeValue;
        if (rule.ScopeKind == RuleScopeKind.CategoryDefault)
        {
            if (!string.IsNullOrEmpty(value)) fail("scopeValue", "a category default rule has no scope value");
            return;
        }
        if (!Enum.IsDefined(rule.ScopeKind))
        {
            fail("scopeKind", $"unknown scope kind {rule.ScopeKind}");
            return;
        }
        if (string.IsNullOrEmpty(value))
        {
            fail("scopeValue", $"a {ScopeWord(rule.ScopeKind)} rule needs a scope value");
            return;
        }
        bool digits = value.All(char.IsAsciiDigit);
        switch (rule.ScopeKind)
        {
            case RuleScopeKind.ComponentOwner when !digits || value.Length != 16:
                fail("scopeValue", $"component id '{value}' must be 16 digits (area 6 + 大类 2 + 小类 2 + serial 6)");
                break;
            case RuleScopeKind.Grid when !digits || !options.GridCodeLengths.Contains(value.Length):
                fail("scopeValue", $"grid code '{value}' must be {string.Join(" or ", options.GridCodeLengths)} digits");
                break;
            case RuleScopeKind.Grid when options.KnownAreaCodes is { } known && !known.Contains(value[..9]):
                fail("scopeValue", $"grid code '{value}' is in unknown street {value[..9]}");
                break;
            case RuleScopeKind.Street when !digits || value.Length != 9:
                fail("scopeValue", $"street code '{value}' must be 9 digits");
                break;
            case RuleScopeKind.District when !digits || value.Length != 6:
                fail("scopeValue", $"district code '{value}' must be 6 digits");
                break;
            case RuleScopeKind.Street or RuleScopeKind.District
                when options.KnownAreaCodes is { } known && !known.Contains(value):
                fail("scopeValue", $"unknown {ScopeWord(rule.ScopeKind)} code {value}");
                break;
        }
    }

    private ResponsibilityRule? Best(RoutingQuery query, RuleScopeKind kind, string? scopeValue)
    {
        if (kind != RuleScopeKind.CategoryDefault && string.IsNullOrEmpty(scopeValue)) return null;
        return Rules
            .Where(r => r.ScopeKind == kind && (kind == RuleScopeKind.CategoryDefault || r.ScopeValue == scopeValue)
                        && r.MatchesCategory(query.CategoryCode))
            .MaxBy(r => r.CategorySpecificity);
    }

    private RoutingSuggestion FromRule(RoutingQuery query, ResponsibilityRule rule)
    {
        var where = rule.ScopeKind switch
        {
            RuleScopeKind.ComponentOwner => $" 部件 {rule.ScopeValue}",
            RuleScopeKind.Grid => $" 位于网格 {rule.ScopeValue}",
            RuleScopeKind.Street => $" 位于街道 {rule.ScopeValue}",
            RuleScopeKind.District => $" 位于区县 {rule.ScopeValue}",
            _ => "（类别默认）",
        };
        var assisting = rule.AssistingDepartments.Count == 0
            ? ""
            : $"（协办：{string.Join("、", rule.AssistingDepartments.Select(Name))}）";
        var whereEn = rule.ScopeKind switch
        {
            RuleScopeKind.ComponentOwner => $" component {rule.ScopeValue}",
            RuleScopeKind.Grid => $" in grid {rule.ScopeValue}",
            RuleScopeKind.Street => $" in street {rule.ScopeValue}",
            RuleScopeKind.District => $" in district {rule.ScopeValue}",
            _ => " (category default)",
        };
        var assistingEn = rule.AssistingDepartments.Count == 0
            ? ""
            : $" (assisting: {string.Join(", ", rule.AssistingDepartments.Select(Name))})";
        return new RoutingSuggestion(rule.LeadDepartment, rule.AssistingDepartments, rule.Id, rule.ScopeKind,
            SuggestionBasis.Rule, $"{query.CategoryName}{where} → {Name(rule.LeadDepartment)}{assisting}，依据规则 {rule.Id}")
        {
            ExplanationEn = $"{query.CategoryName}{whereEn} → {Name(rule.LeadDepartment)}{assistingEn}, by rule {rule.Id}",
        };
    }

    private string Name(string departmentCode) => _departmentName(departmentCode) ?? departmentCode;

    private static string ScopeText(ResponsibilityRule rule) =>
        rule.ScopeKind == RuleScopeKind.CategoryDefault ? "category default" : $"{ScopeWord(rule.ScopeKind)} {rule.ScopeValue}";

    public static string ScopeWord(RuleScopeKind kind) => kind switch
    {
        RuleScopeKind.ComponentOwner => "component",
        RuleScopeKind.Grid => "grid",
        RuleScopeKind.Street => "street",
        RuleScopeKind.District => "district",
        _ => "default",
    };
}
