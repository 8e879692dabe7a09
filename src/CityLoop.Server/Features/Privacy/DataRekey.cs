using System.Xml.Linq;
using CityLoop.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CityLoop.Server.Features.Privacy;

public sealed record RekeyResult(int Cases, int KeyRingEntries)
{
    public override string ToString() => $"{Cases} cases re-encrypted under the current key, {KeyRingEntries} key-ring entries encrypted";
}

/// <summary>
/// Brings stored personal data under the current key: rows written in clear before 0006, or under an older key after a
/// rotation, are re-encrypted and their phone hashes recomputed; key-ring entries stored in clear are encrypted.
/// Storage only: the cases' history does not change, so no event is written.
/// </summary>
public sealed class DataRekey(CityLoopDb db, PersonalDataKeys keys)
{
    public async Task<RekeyResult> RunAsync(CancellationToken ct = default)
    {
        var current = keys.CurrentKeyId;
        var enc = $"enc:{current}:%";
        var hash = $"{current}:%";
        var cases = 0;
        while (true)
        {
            // LIKE on the stored text: the model's converters would encrypt a pattern, so this one query is SQL.
            var ids = await db.Database.SqlQueryRaw<Guid>(
                """
                SELECT id AS "Value" FROM cases
                WHERE (reporter_name IS NOT NULL AND reporter_name NOT LIKE {0})
                   OR (reporter_phone IS NOT NULL AND reporter_phone NOT LIKE {0})
                   OR (reporter_address IS NOT NULL AND reporter_address NOT LIKE {0})
                   OR (reporter_phone IS NOT NULL AND (reporter_phone_hash IS NULL OR reporter_phone_hash NOT LIKE {1}))
                LIMIT 500
                """, enc, hash).ToListAsync(ct);
            if (ids.Count == 0) break;
            var batch = await db.Cases.Where(c => ids.Contains(c.Id)).ToListAsync(ct);
            foreach (var c in batch)
            {
                var entry = db.Entry(c);
                if (c.ReporterName is not null) entry.Property(x => x.ReporterName).IsModified = true;
                if (c.ReporterPhone is not null) entry.Property(x => x.ReporterPhone).IsModified = true;
                if (c.ReporterAddress is not null) entry.Property(x => x.ReporterAddress).IsModified = true;
            }
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            cases += batch.Count;
        }

        // Callers' numbers of call records (decision 017), the same way.
        while (true)
        {
            var ids = await db.Database.SqlQueryRaw<Guid>(
                """
                SELECT id AS "Value" FROM call_records
                WHERE caller_phone IS NOT NULL AND (caller_phone NOT LIKE {0} OR caller_phone_hash IS NULL OR caller_phone_hash NOT LIKE {1})
                LIMIT 500
                """, enc, hash).ToListAsync(ct);
            if (ids.Count == 0) break;
            foreach (var call in await db.Set<Calls.CallRecord>().Where(c => ids.Contains(c.Id)).ToListAsync(ct))
            {
                db.Entry(call).Property(x => x.CallerPhone).IsModified = true;
                call.CallerPhoneHash = keys.PhoneHash(call.CallerPhone);
            }
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }

        var encryptor = new KeyRingXmlEncryptor(keys);
        var entries = 0;
        foreach (var row in await db.DataProtectionKeys.ToListAsync(ct))
        {
            if (KeyRingUpgrade.EncryptSecrets(XElement.Parse(row.Xml), encryptor) is not { } encrypted) continue;
            row.Xml = encrypted.ToString(SaveOptions.DisableFormatting);
            entries++;
        }
        await db.SaveChangesAsync(ct);
        return new RekeyResult(cases, entries);
    }
}
