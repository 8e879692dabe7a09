-- 0025 Figures at scale (docs/decisions/032).
-- Every figure is a range on one period date, over every platform unless a sub-centre asks for its own: the date leads
-- its index, so a range finds its rows without a platform (with the platform first, a query over all platforms read the
-- whole index: 10 million entries for every figure at 10 million cases). Same indexes otherwise, partial as 0024 made them.
DROP INDEX IF EXISTS "ix_case_facts_platform_code_received_at";
DROP INDEX IF EXISTS "ix_case_facts_platform_code_filed_at";
DROP INDEX IF EXISTS "ix_case_facts_platform_code_dispatched_at";
DROP INDEX IF EXISTS "ix_case_facts_platform_code_handling_due_at";
DROP INDEX IF EXISTS "ix_case_facts_platform_code_finished_at";
DROP INDEX IF EXISTS "ix_case_facts_platform_code_closed_at";
DROP INDEX IF EXISTS "ix_case_facts_platform_code_followed_up_at";
CREATE INDEX "ix_case_facts_received_at_platform_code" ON "case_facts" ("received_at", "platform_code");
CREATE INDEX "ix_case_facts_filed_at_platform_code" ON "case_facts" ("filed_at", "platform_code") WHERE "filed_at" IS NOT NULL;
CREATE INDEX "ix_case_facts_dispatched_at_platform_code" ON "case_facts" ("dispatched_at", "platform_code") WHERE "dispatched_at" IS NOT NULL;
CREATE INDEX "ix_case_facts_handling_due_at_platform_code" ON "case_facts" ("handling_due_at", "platform_code") WHERE "handling_due_at" IS NOT NULL;
CREATE INDEX "ix_case_facts_finished_at_platform_code" ON "case_facts" ("finished_at", "platform_code") WHERE "finished_at" IS NOT NULL;
CREATE INDEX "ix_case_facts_closed_at_platform_code" ON "case_facts" ("closed_at", "platform_code") WHERE "closed_at" IS NOT NULL;
CREATE INDEX "ix_case_facts_followed_up_at_platform_code" ON "case_facts" ("followed_up_at", "platform_code") WHERE "followed_up_at" IS NOT NULL;

-- The inspectors' 漏报: the cases of a grid over a period (a lookup by grid alone still uses it).
DROP INDEX IF EXISTS "ix_cases_grid_code";
CREATE INDEX "ix_cases_grid_code_created_at" ON "cases" ("grid_code", "created_at");
