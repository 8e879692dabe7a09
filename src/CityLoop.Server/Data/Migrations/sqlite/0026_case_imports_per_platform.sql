-- 0026 Case imports per platform (docs/decisions/026, addendum 2).
-- A sub-centre's import stores its origin as "origin@code" (up to 80 characters); SQLite's TEXT column already holds it,
-- so nothing changes here but the schema version (PostgreSQL widens its varchar).
CREATE INDEX IF NOT EXISTS "ix_case_imports_case_id" ON "case_imports" ("case_id");
