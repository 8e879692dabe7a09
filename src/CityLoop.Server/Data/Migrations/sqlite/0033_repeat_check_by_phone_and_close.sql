-- 0033 Each intake's repeat check (docs/decisions/037) by the caller's phone hash and closing instant: one index on
-- both replaces the index on the hash alone (which still serves the caller pop-up as the first column).
CREATE INDEX IF NOT EXISTS "ix_cases_reporter_phone_hash_closed_at" ON "cases" ("reporter_phone_hash", "closed_at");
DROP INDEX IF EXISTS "ix_cases_reporter_phone_hash";
