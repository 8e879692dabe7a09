using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Reference;

/// <summary>A division (province … community) with its national code; the outline is optional GeoJSON geometry.</summary>
public sealed class AreaRow
{
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
    public string Level { get; set; } = "";
    public string? ParentCode { get; set; }
    public string? Geometry { get; set; }
    public bool Synthetic { get; set; }
}

/// <summary>单元网格: polygon as GeoJSON geometry text plus its bounding box, so a map view filters in SQL.</summary>
public sealed class GridRow
{
    public string Code { get; set; } = "";
    public string CommunityCode { get; set; } = "";
    public string Name { get; set; } = "";
    public string Geometry { get; set; } = "";
    public double MinLon { get; set; }
    public double MinLat { get; set; }
    public double MaxLon { get; set; }
    public double MaxLat { get; set; }
    /// <summary>Generated geometry (the demo city): shown as such wherever it appears.</summary>
    public bool Synthetic { get; set; }
    /// <summary>The user name of the grid's inspector (监督员), who by default checks the results in the grid.</summary>
    public string? Inspector { get; set; }
}

/// <summary>
/// One inspector's tenure of a grid, [ValidFrom, ValidTo): the history behind <see cref="GridRow.Inspector"/>, so that a
/// figure of a past period (an inspector's 漏报) counts the grids the inspector had then, not the grids they have now.
/// Written only by <see cref="GridAssignments"/>, in the transaction that changes the grid's current inspector.
/// </summary>
public sealed class GridAssignmentRow
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string GridCode { get; set; } = "";
    public string Inspector { get; set; } = "";
    public DateTimeOffset ValidFrom { get; set; }
    /// <summary>When the tenure ended; null while it lasts.</summary>
    public DateTimeOffset? ValidTo { get; set; }
    public string AssignedBy { get; set; } = "";
}

/// <summary>部件: 16-digit id = 6 area + 2 大类 + 2 小类 + 6 serial.</summary>
public sealed class ComponentRow
{
    public string Id { get; set; } = "";
    public string CategoryCode { get; set; } = "";
    public string Name { get; set; } = "";
    public double? Latitude { get; set; }
    public double? Longitude { get; set; }
    public string? GridCode { get; set; }
    public string? OwnerDepartment { get; set; }
    public string? SupervisorDepartment { get; set; }
    public string? MaintainerDepartment { get; set; }
    public string State { get; set; } = "normal";
    public DateOnly? InstalledOn { get; set; }
    public DateOnly? UpdatedOn { get; set; }
}

/// <summary>One catalogue version; categories, conditions and hotline limits are stored per version and never edited in place.</summary>
public sealed class CatalogueVersionRow
{
    public int Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public string? Note { get; set; }
}

public sealed class CategoryRow
{
    public int Version { get; set; }
    public string Key { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Code { get; set; } = "";
    public string Level { get; set; } = "";
    public string? ParentCode { get; set; }
    public string Name { get; set; } = "";
    public int Ordinal { get; set; }
}

public sealed class FilingConditionRecord
{
    public int Version { get; set; }
    public string Code { get; set; } = "";
    public string CategoryKey { get; set; } = "";
    public string Description { get; set; } = "";
    public string TimeLimit { get; set; } = "";
    public string ClosingStandard { get; set; } = "";
    public string? LegalBasis { get; set; }
    public string? Notes { get; set; }
    public string Source { get; set; } = "default";
    public int Ordinal { get; set; }
}

public sealed class HotlineTimeLimitRow
{
    public int Version { get; set; }
    public string RequestType { get; set; } = "";
    public string Name { get; set; } = "";
    public string TimeLimit { get; set; } = "";
    public string Source { get; set; } = "default";
}

/// <summary>派单目录 line: category × scope → lead and assisting departments (assisting as "A;B").</summary>
public sealed class RuleRow
{
    public string Id { get; set; } = "";
    public string? CategoryCode { get; set; }
    public string ScopeKind { get; set; } = "";
    public string? ScopeValue { get; set; }
    public string Lead { get; set; } = "";
    public string Assisting { get; set; } = "";
}

/// <summary>
/// A working calendar: <see cref="CalendarRow.PlatformScope"/> for the platform, else a department code whose
/// calendar overrides the platform's. Weekly hours as "monday=08:30-12:00,14:30-17:30;…" (missing day = base).
/// </summary>
public sealed class CalendarRow
{
    public const string PlatformScope = "platform";
    /// <summary>The command centre's own calendar: around the clock (7×24) until configured.</summary>
    public const string CentreScope = "centre";
    public string Scope { get; set; } = "";
    /// <summary>same-time (N working days later at the same clock time) or close-of-business (end of the Nth working day).</summary>
    public string? DayRule { get; set; }
    public string? TimeZone { get; set; }
    public string? Weekly { get; set; }
    public string? MakeUpDay { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

/// <summary>A holiday or make-up workday of one calendar scope.</summary>
public sealed class CalendarExceptionRow
{
    public string Scope { get; set; } = "";
    public DateOnly Date { get; set; }
    public string Kind { get; set; } = "holiday";
    public string Name { get; set; } = "";
}

/// <summary>A named place an admin adds to the gazetteer (building, market, road section…).</summary>
public sealed class NamedPlaceRow
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Name { get; set; } = "";
    public string Aliases { get; set; } = "";
    public double Latitude { get; set; }
    public double Longitude { get; set; }
    public string? ParentCode { get; set; }
}

sealed class ReferenceConfigurations :
    IEntityTypeConfiguration<AreaRow>, IEntityTypeConfiguration<GridRow>, IEntityTypeConfiguration<ComponentRow>,
    IEntityTypeConfiguration<CatalogueVersionRow>, IEntityTypeConfiguration<CategoryRow>, IEntityTypeConfiguration<FilingConditionRecord>,
    IEntityTypeConfiguration<HotlineTimeLimitRow>, IEntityTypeConfiguration<RuleRow>, IEntityTypeConfiguration<CalendarRow>,
    IEntityTypeConfiguration<CalendarExceptionRow>, IEntityTypeConfiguration<NamedPlaceRow>, IEntityTypeConfiguration<GridAssignmentRow>
{
    public void Configure(EntityTypeBuilder<AreaRow> e)
    {
        e.ToTable("areas");
        e.HasKey(x => x.Code);
        e.Property(x => x.Code).HasMaxLength(12);
        e.Property(x => x.Level).HasMaxLength(16);
        e.HasIndex(x => x.ParentCode);
    }

    public void Configure(EntityTypeBuilder<GridRow> e)
    {
        e.ToTable("grids");
        e.HasKey(x => x.Code);
        e.Property(x => x.Code).HasMaxLength(18);
        e.HasIndex(x => x.CommunityCode);
        e.HasIndex(x => new { x.MinLon, x.MaxLon, x.MinLat, x.MaxLat });
    }

    public void Configure(EntityTypeBuilder<GridAssignmentRow> e)
    {
        e.ToTable("grid_assignments");
        e.HasKey(x => x.Id);
        e.Property(x => x.GridCode).HasMaxLength(18);
        e.HasIndex(x => new { x.GridCode, x.ValidFrom });
        e.HasIndex(x => new { x.Inspector, x.ValidFrom });
    }

    public void Configure(EntityTypeBuilder<ComponentRow> e)
    {
        e.ToTable("components");
        e.HasKey(x => x.Id);
        e.Property(x => x.Id).HasMaxLength(16);
        e.Property(x => x.State).HasMaxLength(32);
        e.HasIndex(x => x.GridCode);
        e.HasIndex(x => x.CategoryCode);
    }

    public void Configure(EntityTypeBuilder<CatalogueVersionRow> e)
    {
        e.ToTable("catalogue_versions");
        e.HasKey(x => x.Version);
        e.Property(x => x.Version).ValueGeneratedNever();
    }

    public void Configure(EntityTypeBuilder<CategoryRow> e)
    {
        e.ToTable("categories");
        e.HasKey(x => new { x.Version, x.Key });
    }

    public void Configure(EntityTypeBuilder<FilingConditionRecord> e)
    {
        e.ToTable("filing_conditions");
        e.HasKey(x => new { x.Version, x.Code });
        e.HasIndex(x => new { x.Version, x.CategoryKey });
    }

    public void Configure(EntityTypeBuilder<HotlineTimeLimitRow> e)
    {
        e.ToTable("hotline_time_limits");
        e.HasKey(x => new { x.Version, x.RequestType });
    }

    public void Configure(EntityTypeBuilder<RuleRow> e)
    {
        e.ToTable("responsibility_rules");
        e.HasKey(x => x.Id);
    }

    public void Configure(EntityTypeBuilder<CalendarRow> e)
    {
        e.ToTable("calendars");
        e.HasKey(x => x.Scope);
    }

    public void Configure(EntityTypeBuilder<CalendarExceptionRow> e)
    {
        e.ToTable("calendar_exceptions");
        e.HasKey(x => new { x.Scope, x.Date });
    }

    public void Configure(EntityTypeBuilder<NamedPlaceRow> e)
    {
        e.ToTable("named_places");
        e.HasKey(x => x.Id);
    }
}
