using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Desk;

/// <summary>The desktop's own words in both languages.</summary>
public static class DeskText
{
    public static string Service(string code) => code switch
    {
        "110" => Pick("公安报警", "police"),
        "119" => Pick("消防", "fire"),
        "120" => Pick("急救", "ambulance"),
        "122" => Pick("交通事故", "traffic accidents"),
        _ => code,
    };

    public static string Reason(DuplicateReason reason) => reason switch
    {
        DuplicateReason.SameCaller => Pick("同一来电人", "same caller"),
        DuplicateReason.SameCategoryNearby => Pick("同类附近", "same category nearby"),
        DuplicateReason.SameAddress => Pick("同一地址", "same address"),
        _ => Pick("内容相似", "similar wording"),
    };

    public static string Outcome(string outcome) => outcome switch
    {
        "answered" => Pick("已接通", "answered"),
        "missed" => Pick("未接通", "missed"),
        _ => Pick("排队中", "queued"),
    };

    public static string Duration(int? seconds) => seconds is { } s ? (s >= 60 ? $"{s / 60}′{s % 60:D2}″" : $"{s}″") : "—";
}
