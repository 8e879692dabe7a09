-- 0032 A department's inbox at scale (docs/decisions/035, addendum): the cases with assisting departments in a partial
-- index, so the department scope's three arms can each be answered by an index.
CREATE INDEX IF NOT EXISTS "ix_cases_assisting_due" ON "cases" ("clock_due_at") WHERE "assisting_department_codes" <> '';
