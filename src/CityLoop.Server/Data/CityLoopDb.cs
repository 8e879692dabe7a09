using System.Text;
using CityLoop.Domain.Cases;
using CityLoop.Domain.Identity;
using CityLoop.Server.Features.Privacy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CityLoop.Server.Data;

/// <summary>
/// The database. Contexts are pooled (decision 051): the one constructor takes the options alone, and the key ring
/// that encrypts reporter data comes with them (<see cref="PersonalDataKeysExtension"/>).
/// </summary>
public sealed class CityLoopDb(DbContextOptions<CityLoopDb> options) : DbContext(options)
{
    /// <summary>The keys that encrypt reporter data in this context's model (see Features/Privacy).</summary>
    public PersonalDataKeys PersonalData { get; } = PersonalDataKeysExtension.From(options);

    public DbSet<Case> Cases => Set<Case>();
    public DbSet<CaseEvent> CaseEvents => Set<CaseEvent>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<Department> Departments => Set<Department>();
    public DbSet<Attachment> Attachments => Set<Attachment>();
    public DbSet<CaseNumberSequence> CaseNumberSequences => Set<CaseNumberSequence>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    bool? _isPostgres;

    /// <summary>
    /// Asked many times per request (interceptors, queries); the provider of a context never changes, so it is asked
    /// once, and from the options the context was built with: <c>Database.ProviderName</c> reads the provider
    /// assembly's name by reflection on every call (a measurable share of an intake's CPU, decision 037).
    /// </summary>
    public bool IsPostgres => _isPostgres ??= options.Extensions.Any(e => e.GetType().Name == "NpgsqlOptionsExtension");

    protected override void ConfigureConventions(ModelConfigurationBuilder b)
    {
        // Enums are stored as their names: readable in SQL, stable when members are added.
        b.Properties<CaseState>().HaveConversion<string>().HaveMaxLength(32);
        b.Properties<CaseSource>().HaveConversion<string>().HaveMaxLength(32);
        b.Properties<RequestType>().HaveConversion<string>().HaveMaxLength(32);
        b.Properties<Urgency>().HaveConversion<string>().HaveMaxLength(16);
        b.Properties<Satisfaction>().HaveConversion<string>().HaveMaxLength(32);
        b.Properties<Role>().HaveConversion<string>().HaveMaxLength(32);
        // SQLite cannot compare or sort DateTimeOffset in SQL; PostgreSQL's timestamptz takes UTC only.
        // Both get UTC instants: unix milliseconds on SQLite, timestamptz on PostgreSQL.
        if (IsPostgres) b.Properties<DateTimeOffset>().HaveConversion<UtcConverter>();
        else b.Properties<DateTimeOffset>().HaveConversion<UnixMillisConverter>();
    }

    protected override void OnModelCreating(ModelBuilder m)
    {
        m.Entity<Case>(e =>
        {
            e.ToTable("cases");
            e.HasKey(c => c.Id);
            e.Property(c => c.Version).IsConcurrencyToken();
            e.Property(c => c.Number).HasMaxLength(40);
            e.HasIndex(c => c.Number).IsUnique();
            e.Property(c => c.Description).HasMaxLength(4000);
            e.HasIndex(c => new { c.State, c.CreatedAt });
            e.HasIndex(c => new { c.LeadDepartmentCode, c.State });
            e.HasIndex(c => c.CreatedAt);
            // The repeat check by place and the duplicate hints (migration 0036): a category's closings and its new cases by instant.
            e.HasIndex(c => new { c.CategoryCode, c.ClosedAt }).HasFilter("state = 'Closed'");
            e.HasIndex(c => new { c.CategoryCode, c.CreatedAt });
            e.HasIndex(c => new { c.GridCode, c.CreatedAt });
            e.HasIndex(c => new { c.Source, c.ExternalId }).HasFilter("external_id IS NOT NULL");
            e.HasIndex(c => c.AssignedTeam).HasFilter("assigned_team IS NOT NULL");
            e.Ignore(c => c.NewEvents);
            e.Ignore(c => c.AssistingDepartments);
            e.Ignore(c => c.CurrentDueAt);
            e.Ignore(c => c.CurrentPhase);
        });
        m.Entity<CaseEvent>(e =>
        {
            e.ToTable("case_events");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.CaseId, x.Seq }).IsUnique();
            e.HasIndex(x => new { x.Action, x.At });
            e.HasIndex(x => new { x.PlatformCode, x.At });
            e.Property(x => x.Action).HasMaxLength(40);
        });
        m.Entity<User>(e =>
        {
            e.ToTable("users");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.UserName).IsUnique();
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Property(x => x.Organisation).HasMaxLength(100);
        });
        m.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.Prefix).IsUnique();
        });
        m.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit_log");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.At);
        });
        m.Entity<IdempotencyRecord>(e =>
        {
            e.ToTable("idempotency_keys");
            e.HasKey(x => new { x.ClientId, x.Key });
            e.HasIndex(x => x.CreatedAt);
        });
        m.Entity<Department>(e =>
        {
            e.ToTable("departments");
            e.HasKey(x => x.Code);
        });
        m.Entity<PlatformRow>(e =>
        {
            e.ToTable("platforms");
            e.HasKey(x => x.Code);
        });
        m.Entity<Attachment>(e =>
        {
            e.ToTable("attachments");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.CaseId);
        });
        m.Entity<CaseNumberSequence>(e =>
        {
            e.ToTable("case_number_sequences");
            e.HasKey(x => new { x.Platform, x.Day });
        });
        m.Entity<DataProtectionKey>(e =>
        {
            e.ToTable("data_protection_keys");
            e.HasKey(x => x.Id);
        });

        // Each capability keeps its own IEntityTypeConfiguration classes beside its code.
        m.ApplyConfigurationsFromAssembly(typeof(CityLoopDb).Assembly);
        m.ApplyConfiguration(new PersonalDataConfiguration(PersonalData));
        m.ApplyConfiguration(new Features.Calls.CallRecordConfiguration(PersonalData));

        foreach (var entity in m.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
                property.SetColumnName(Snake(property.Name));
        foreach (var entity in m.Model.GetEntityTypes())
            foreach (var index in entity.GetIndexes())
                index.SetDatabaseName($"ix_{entity.GetTableName()}_{string.Join("_", index.Properties.Select(p => Snake(p.Name)))}");
    }

    public static string Snake(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    sealed class UnixMillisConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.ToUnixTimeMilliseconds(), v => DateTimeOffset.FromUnixTimeMilliseconds(v));

    sealed class UtcConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(
        v => v.ToUniversalTime(), v => v.ToUniversalTime());
}
