-- 0034 A department's inbox by deadline at scale (docs/decisions/038). The department's scope is listed as three
-- disjoint arms (the cases it leads, its team's, those it assists); this partial index answers the lead arm on its own:
-- the department's cases with a running clock in deadline order, with the state the inbox tests and the id the page
-- returns (an index-only scan; the whole cases are then read by id). It holds only the cases led by a department with a
-- running clock (34,556 at 10 million, 3.3 MB), so an intake, which has no lead department yet, writes nothing to it.
CREATE INDEX IF NOT EXISTS ix_cases_lead_due ON cases (lead_department_code, clock_due_at, number)
    INCLUDE (state, id, platform_code) WHERE clock_due_at IS NOT NULL AND lead_department_code IS NOT NULL;
