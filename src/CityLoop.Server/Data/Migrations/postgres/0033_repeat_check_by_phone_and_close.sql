-- 0033 Each intake's repeat check (docs/decisions/037) asks for the caller's cases closed since a date, newest first:
-- "reporter_phone_hash = @h AND state = 'Closed' AND closed_at >= @since ORDER BY closed_at DESC LIMIT 1". On the hash
-- alone PostgreSQL read every case of that caller (a frequent caller's, a company line's: thousands) to find the few
-- recently closed ones — 18 ms per intake with 13,000 cases from one number at a million cases. The hash and the
-- closing instant together answer it from a short range of the index; the hash alone (the caller pop-up, the phone
-- search) is still the index's first column, so it replaces the old one and the count of indexes stays the same.
CREATE INDEX IF NOT EXISTS ix_cases_reporter_phone_hash_closed_at ON cases (reporter_phone_hash, closed_at);
DROP INDEX IF EXISTS ix_cases_reporter_phone_hash;
