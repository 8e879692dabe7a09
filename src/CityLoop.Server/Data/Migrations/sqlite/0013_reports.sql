-- 0013 Figures, assessment and archived reports (docs/decisions/019).
-- 超期待处置 follows from counters every fact row already holds, so existing rows are filled here, not by a rebuild.
ALTER TABLE "case_facts" ADD COLUMN "overdue_pending" INTEGER NOT NULL DEFAULT 0;
UPDATE "case_facts" SET "overdue_pending" = 1 WHERE "need_dispose" = 1 AND "disposed" = 0 AND "overdue" = 1;

-- Reports as published: the figures at their cut-off, never recomputed.
CREATE TABLE "archived_reports" (
    "id" TEXT NOT NULL CONSTRAINT "PK_archived_reports" PRIMARY KEY,
    "platform_code" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "period_key" TEXT NOT NULL,
    "period_from" INTEGER NOT NULL,
    "period_to" INTEGER NOT NULL,
    "cut_off" INTEGER NOT NULL,
    "generated_by" TEXT NOT NULL,
    "content" TEXT NOT NULL
);

CREATE UNIQUE INDEX "ix_archived_reports_platform_code_kind_period_key" ON "archived_reports" ("platform_code", "kind", "period_key");

-- 绩效评价 self-reports: the editable indicator system of a platform's year, with manual scores and their reasons.
CREATE TABLE "evaluations" (
    "id" TEXT NOT NULL CONSTRAINT "PK_evaluations" PRIMARY KEY,
    "platform_code" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "items" TEXT NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "updated_by" TEXT NOT NULL
);

CREATE INDEX "ix_evaluations_platform_code_year" ON "evaluations" ("platform_code", "year");
