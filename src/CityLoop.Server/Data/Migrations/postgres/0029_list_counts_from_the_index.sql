-- 0029 The case list's filters counted from the index (docs/decisions/035).
-- A filter by state and category over a period (and a street) counts its matches up to the cap by walking the period in
-- an index; with the state and category only in the table, every case of the period was a heap fetch (25,000 for a
-- month at 1 million cases, 190 ms). The indexes the walk already uses carry those columns, so the count is an
-- index-only scan. The same two indexes, wider: no index is added (each update of a case writes every index of the
-- table anyway: its state changes, so no update is HOT).
DROP INDEX IF EXISTS ix_cases_created_at;
CREATE INDEX ix_cases_created_at ON cases (created_at) INCLUDE (grid_code, created_by, state, platform_code, category_code);
DROP INDEX IF EXISTS ix_cases_street_code_created_at;
CREATE INDEX ix_cases_street_code_created_at ON cases (street_code, created_at) INCLUDE (state, category_code, platform_code);
