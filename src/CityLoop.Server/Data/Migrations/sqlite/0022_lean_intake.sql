-- 0022 A leaner intake write path (docs/decisions/029).
-- The caller's phone is stored encrypted (0006): no query looks a case up by its ciphertext, the keyed hash has its own
-- index. (SQLite runs on one node and reads a user in-process on every request: no account-change trigger here.)
DROP INDEX IF EXISTS "ix_cases_reporter_phone_closed_at";
