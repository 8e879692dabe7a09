namespace CityLoop.Domain.Routing;

/// <summary>Bureau (局 / utility company), team (处 / 所 / 大队) or street office (街道办 / 乡镇政府).</summary>
public enum DepartmentKind
{
    Bureau,
    Team,
    StreetOffice,
}

/// <summary>A handling department (专业部门 / 责任单位); rules refer to it by <see cref="Code"/>.</summary>
public sealed record Department(string Code, string Name, string? ParentCode, DepartmentKind Kind);
