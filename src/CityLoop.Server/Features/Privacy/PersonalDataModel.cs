using CityLoop.Domain.Cases;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CityLoop.Server.Features.Privacy;

/// <summary>
/// The caller's name, phone and own address are stored encrypted (AES-GCM, the key outside the database); the
/// case keeps them in clear in memory, so masking and unmasking work as before. The phone also gets a keyed hash of
/// its normalised form (<see cref="PhoneHashColumn"/>): a search by phone is an exact match on an index, never a
/// decryption of every row.
/// </summary>
public sealed class PersonalDataConfiguration(PersonalDataKeys keys) : IEntityTypeConfiguration<Case>
{
    public const string PhoneHashColumn = "ReporterPhoneHash";

    public void Configure(EntityTypeBuilder<Case> e)
    {
        e.Property(c => c.ReporterName).HasConversion(new Encrypted(keys, "reporter_name"));
        e.Property(c => c.ReporterPhone).HasConversion(new Encrypted(keys, "reporter_phone"));
        e.Property(c => c.ReporterAddress).HasConversion(new Encrypted(keys, "reporter_address"));
        e.Property<string?>(PhoneHashColumn).HasMaxLength(100);
        // The caller's cases by phone (the pop-up, the phone search) and the repeat check's "closed since" (migration 0033).
        e.HasIndex(PhoneHashColumn, nameof(Case.ClosedAt));
        // The retention pass reads only ended cases that still hold reporter data, oldest first.
        e.HasIndex(c => c.UpdatedAt).HasFilter("reporter_name IS NOT NULL OR reporter_phone IS NOT NULL OR reporter_address IS NOT NULL");
    }

    /// <summary>The purpose (column) is the AES-GCM associated data: a ciphertext moved to another column does not decrypt.</summary>
    sealed class Encrypted(PersonalDataKeys keys, string purpose) : ValueConverter<string?, string?>(
        v => v == null ? null : keys.Encrypt(v, purpose), v => v == null ? null : keys.Decrypt(v, purpose));
}

/// <summary>
/// The model holds converters bound to one key ring, so it is cached per key ring, not per context type (two app
/// hosts in one process, as in the tests, each get their own).
/// </summary>
public sealed class PersonalDataModelCacheKey : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), designTime, (context as CityLoopDb)?.PersonalData);
}

/// <summary>
/// Carries the key ring in the context's options, so that a pooled context (decision 051), which EF builds from its
/// options alone, has it.
/// </summary>
public sealed class PersonalDataKeysExtension(PersonalDataKeys keys) : IDbContextOptionsExtension
{
    public PersonalDataKeys Keys => keys;

    public DbContextOptionsExtensionInfo Info => field ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services) { }

    public void Validate(IDbContextOptions options) { }

    public static PersonalDataKeys From(IDbContextOptions options) =>
        options.FindExtension<PersonalDataKeysExtension>()?.Keys
        ?? throw new InvalidOperationException("The database context's options carry no personal-data key ring (DatabaseSetup.AddCityLoopDatabase adds it).");

    sealed class ExtensionInfo(PersonalDataKeysExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;
        public override string LogFragment => "";
        // The keys change no internal service: contexts with different key rings share EF's service provider (the
        // model is kept apart by PersonalDataModelCacheKey).
        public override int GetServiceProviderHashCode() => 0;
        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;
        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) { }
    }
}

/// <summary>Keeps the phone's look-up hash in step with the phone on every save of a case.</summary>
public sealed class PhoneHashInterceptor(PersonalDataKeys keys) : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Apply(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        Apply(eventData.Context);
        return ValueTask.FromResult(result);
    }

    void Apply(DbContext? db)
    {
        if (db is null) return;
        // Changes are detected once per save, before the interceptors (DatabaseSetup.DetectChangesOnce).
        foreach (var entry in db.ChangeTracker.Entries<Case>())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified)) continue;
            var hash = entry.Property(PersonalDataConfiguration.PhoneHashColumn);
            var phone = entry.Entity.ReporterPhone;
            // An unchanged phone keeps its hash (possibly under an older key, which searches still match).
            if (entry.State == EntityState.Modified && !entry.Property(c => c.ReporterPhone).IsModified && (hash.CurrentValue is not null || phone is null)) continue;
            var value = keys.PhoneHash(phone);
            if (!Equals(hash.CurrentValue, value)) hash.CurrentValue = value;
        }
    }
}

public static class PhoneSearch
{
    /// <summary>A search text that is a phone number (7 to 15 digits with spaces, '+' or '-') rather than words or a case number.</summary>
    public static bool LooksLikePhone(string text)
    {
        var t = text.Trim();
        return t.All(ch => char.IsAsciiDigit(ch) || ch is ' ' or '+' or '-') && PersonalDataKeys.Normalise(t) is { Length: >= 7 and <= 15 } && !t.Contains("--");
    }

    /// <summary>Cases whose reporter phone is this number (normalised), by the keyed hash under any key.</summary>
    public static IQueryable<Case> WithReporterPhone(this IQueryable<Case> cases, PersonalDataKeys keys, string phone)
    {
        var hashes = keys.PhoneHashes(phone);
        return cases.Where(HashMatch.AnyOf<Case>(c => EF.Property<string?>(c, PersonalDataConfiguration.PhoneHashColumn), hashes));
    }
}

/// <summary>
/// A column equal to one of a few keyed hashes (one per personal-data key), as <c>column = @h1 OR column = @h2</c>.
/// Not <c>hashes.Contains(column)</c>: for a list parameter EF adds "OR column IS NULL AND the list holds a NULL",
/// which PostgreSQL's generic plan of the prepared statement cannot drop, so every look-up also read every row
/// without a phone — every anonymous, camera and inspector case, at each intake's repeat check (decision 037).
/// </summary>
public static class HashMatch
{
    sealed record Hash(string Value);

    public static System.Linq.Expressions.Expression<Func<T, bool>> AnyOf<T>(System.Linq.Expressions.Expression<Func<T, string?>> column, IReadOnlyList<string> hashes)
    {
        System.Linq.Expressions.Expression? body = null;
        foreach (var h in hashes)
        {
            // A member of a constant object, as a closure is: EF sends it as a parameter, and caches one plan per count of keys.
            var value = System.Linq.Expressions.Expression.Property(System.Linq.Expressions.Expression.Constant(new Hash(h)), nameof(Hash.Value));
            var equal = System.Linq.Expressions.Expression.Equal(column.Body, value);
            body = body is null ? equal : System.Linq.Expressions.Expression.OrElse(body, equal);
        }
        return System.Linq.Expressions.Expression.Lambda<Func<T, bool>>(body ?? System.Linq.Expressions.Expression.Constant(false), column.Parameters);
    }
}
