using CityLoop.Domain.Catalogue;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Server.Tests.Reference.Formats;

public class CatalogueCsvTests
{
    [Fact]
    public void Category_errors_are_reported_per_row_and_valid_rows_kept()
    {
        const string csv = """
            kind,code,level,parentCode,name
            event,01,major,,市容环境
            event,0101,minor,01,私搭乱建
            building,0102,minor,01,暴露垃圾
            event,013,minor,01,积存垃圾渣土
            event,0104,minor,02,道路不洁
            event,0101,minor,01,私搭乱建二
            event,0105,minor,01,
            component,0101,detail,01,上水井盖
            event,0201,minor,02,非法小广告
            component,0101,minor,01,上水井盖
            """;

        var result = CatalogueCsv.ParseCategories(csv);

        Assert.Equal(["E01", "E0101"], result.Rows.Select(c => c.Key));
        Assert.Equal(
        [
            "row 4, kind: unknown kind 'building' (component, event, hotline)",
            "row 5, code: a minor code has 4 digits, got '013'",
            "row 6, parentCode: expected parent '01' (the code without its last 2 digits), got '02'",
            "row 7, code: duplicate category E0101",
            "row 8, name: name is required",
            "row 9, level: level detail (三级) exists only in the hotline taxonomy",
            "row 10, parentCode: parent category E02 not found",
            "row 11, parentCode: parent category C01 not found",
        ], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Missing_columns_are_reported_on_the_header_row()
    {
        var result = CatalogueCsv.ParseCategories("kind,code,name\nevent,01,市容环境\n");
        Assert.Empty(result.Rows);
        Assert.Equal(["row 1, level: required column is missing", "row 1, parentCode: required column is missing"],
            result.Errors.Select(e => e.ToString()));
        Assert.Equal("row 1, header: the file is empty", Assert.Single(CatalogueCsv.ParseCategories("").Errors).ToString());
    }

    [Fact]
    public void Condition_errors_are_reported_per_row_and_valid_rows_kept()
    {
        const string csv = """"
            kind,categoryCode,code,description,timeLimit,closingStandard,legalBasis,notes,source
            event,0102,E0102-01,主干道暴露垃圾,4h-work,垃圾全部清除,,,reference
            event,0102,E0102-02,其他道路,1 day,垃圾全部清除,,,default
            event,0102,E0102-01,重复,1d-work,清除,,,
            event,0102,E0102-03,,1d-work,,,,
            event,0102,E0102-04,背街小巷,2d-work,清除,,,guess
            event,0102,E0102-05,"小区内, ""公共区域""",2d-work,清除,条例,备注,local
            """";

        var result = CatalogueCsv.ParseConditions(csv);

        Assert.Equal(["E0102-01", "E0102-05"], result.Rows.Select(r => r.Condition.Code));
        Assert.Equal("小区内, \"公共区域\"", result.Rows[1].Condition.Description);
        Assert.Equal(ConditionSource.Local, result.Rows[1].Condition.Source);
        Assert.Equal("E0102", result.Rows[0].CategoryKey);
        Assert.Equal(
        [
            "row 3, timeLimit: '1 day': expected <value><h|d>-<urgent|work|cal>, e.g. 2h-urgent, 4h-work, 3d-work, 15d-cal",
            "row 4, code: duplicate condition code E0102-01",
            "row 5, description: description is required",
            "row 5, closingStandard: closing standard is required",
            "row 6, source: unknown source 'guess' (reference, default, local)",
        ], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Load_attaches_conditions_and_reports_unknown_categories_with_the_file()
    {
        const string categories = "kind,code,level,parentCode,name\nevent,01,major,,市容环境\nevent,0102,minor,01,暴露垃圾\n";
        const string conditions = """
            kind,categoryCode,code,description,timeLimit,closingStandard,legalBasis,notes,source
            event,0102,E0102-01,主干道暴露垃圾,4h-work,垃圾全部清除,,,
            component,0102,C0102-01,污水井盖缺失,2h-urgent,补齐,,,
            """;

        var result = CatalogueCsv.Load(categories, conditions);

        Assert.Equal(["E0102-01"], result.Rows.Single(c => c.Key == "E0102").Conditions.Select(f => f.Code));
        Assert.Equal("filing-conditions.csv, row 3, categoryCode: category C0102 not found in categories.csv",
            Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void Seed_files_round_trip_exactly()
    {
        var categories = EmbeddedData.Read(CatalogueSeed.CategoriesFile);
        var conditions = EmbeddedData.Read(CatalogueSeed.ConditionsFile);
        var loaded = CatalogueCsv.Load(categories, conditions);
        Assert.True(loaded.IsValid);
        Assert.Equal(categories, CatalogueCsv.WriteCategories(loaded.Rows));
        Assert.Equal(conditions, CatalogueCsv.WriteConditions(loaded.Rows));

        var taxonomy = EmbeddedData.Read(CatalogueSeed.HotlineTaxonomyFile);
        Assert.Equal(taxonomy, CatalogueCsv.WriteCategories(CatalogueCsv.ParseCategories(taxonomy).Rows));

        var limits = EmbeddedData.Read(CatalogueSeed.HotlineTimeLimitsFile);
        Assert.Equal(limits, CatalogueCsv.WriteHotlineTimeLimits(CatalogueCsv.ParseHotlineTimeLimits(limits).Rows));
    }

    [Fact]
    public void Export_then_import_keeps_awkward_text()
    {
        var category = new Category(CategoryKind.Event, "0102", CategoryLevel.Minor, "01", "暴露垃圾", [
            new FilingCondition("E0102-09", "含逗号, 引号\"和\n换行", "15d-cal", "清除，\"干净\"", null, "a,b", ConditionSource.Local),
        ]);
        var major = new Category(CategoryKind.Event, "01", CategoryLevel.Major, null, "市容, 环境");

        var back = CatalogueCsv.Load(CatalogueCsv.WriteCategories([major, category]), CatalogueCsv.WriteConditions([category]));

        Assert.True(back.IsValid, string.Join("; ", back.Errors));
        Assert.Equal("市容, 环境", back.Rows[0].Name);
        Assert.Equal(category.Conditions[0], Assert.Single(back.Rows[1].Conditions));
    }

    [Fact]
    public void Row_numbers_count_physical_lines_across_quoted_newlines()
    {
        const string csv = "kind,code,level,parentCode,name\nevent,01,major,,\"市容\n环境\"\n\nevent,0101,minor,01,\n";
        var e = Assert.Single(CatalogueCsv.ParseCategories(csv).Errors);
        Assert.Equal(5, e.Row);
    }
}
