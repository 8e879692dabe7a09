-- 0034 A department's inbox by deadline at scale (docs/decisions/038): the lead arm of the department's scope walked in
-- deadline order; only cases led by a department with a running clock are indexed.
CREATE INDEX IF NOT EXISTS "ix_cases_lead_due" ON "cases" ("lead_department_code", "clock_due_at", "number")
    WHERE "clock_due_at" IS NOT NULL AND "lead_department_code" IS NOT NULL;
