-- 0032 A department's inbox at scale (docs/decisions/035, addendum). A department sees the cases it leads, the cases
-- its team was given and the cases it assists (a comma-list, tested with LIKE). With no index able to answer the LIKE,
-- PostgreSQL read every case of the states asked for (≈ 21,000 open cases at 10 million) to test the department. The
-- list now tests "assisting" only where the list is not empty, and this partial index holds exactly those cases (few:
-- most cases have no assisting department), so the scope is a bitmap OR of three small index scans (57 → 14 ms).
CREATE INDEX IF NOT EXISTS ix_cases_assisting_due ON cases (clock_due_at) WHERE assisting_department_codes <> '';
