-- 0020 Assessments of people and collection companies, late events carried into the next report (docs/decisions/027).
-- The fact row names who is accountable for each step. For existing rows the migration fills what follows from the
-- events' actors alone (who sent the verification and the check, filed, first dispatched, closed; the intake
-- operator); the verifier and checker (an intake operator may record an inspector's verdict: the payload names the
-- inspector) and the new counters (on-time verdicts come from the clock records) are filled by
-- `rebuild-projections`. Until then existing rows count 0 in them: the new rates have no case to count over (shown
-- as —), never a false 0 %.

-- Who acted on each step.
ALTER TABLE "case_facts" ADD COLUMN "intake_by" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "verification_sent_by" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "verified_by" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "filed_by" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "dispatched_by" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "check_sent_by" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "checked_by" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "closed_by" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "intake_handled" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_facts" ADD COLUMN "verification_sent" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_facts" ADD COLUMN "verification_sent_on_time" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_facts" ADD COLUMN "check_sent" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_facts" ADD COLUMN "check_sent_on_time" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_facts" ADD COLUMN "closing_decided" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_facts" ADD COLUMN "closing_on_time" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_facts" ADD COLUMN "check_due_at" INTEGER NULL;

UPDATE "case_facts" SET "verification_sent_by" = (SELECT "actor_id" FROM "case_events" WHERE "case_id" = "case_facts"."case_id" AND "action" IN ('request-verification') ORDER BY "seq" DESC LIMIT 1);
UPDATE "case_facts" SET "filed_by" = (SELECT "actor_id" FROM "case_events" WHERE "case_id" = "case_facts"."case_id" AND "action" IN ('file') ORDER BY "seq" DESC LIMIT 1);
UPDATE "case_facts" SET "dispatched_by" = (SELECT "actor_id" FROM "case_events" WHERE "case_id" = "case_facts"."case_id" AND "action" IN ('dispatch','redispatch') ORDER BY "seq" ASC LIMIT 1);
UPDATE "case_facts" SET "check_sent_by" = (SELECT "actor_id" FROM "case_events" WHERE "case_id" = "case_facts"."case_id" AND "action" IN ('assign-check') ORDER BY "seq" DESC LIMIT 1);
UPDATE "case_facts" SET "closed_by" = (SELECT "actor_id" FROM "case_events" WHERE "case_id" = "case_facts"."case_id" AND "action" IN ('close') ORDER BY "seq" DESC LIMIT 1);
UPDATE "case_facts" SET "intake_by" = (SELECT "actor_id" FROM "case_events" WHERE "case_id" = "case_facts"."case_id" AND "role" = 'IntakeOperator' ORDER BY "seq" LIMIT 1);
UPDATE "case_facts" SET "intake_handled" = 1 WHERE "intake_by" IS NOT NULL;
UPDATE "case_facts" SET "closed_by" = NULL WHERE "archived" = 0;

-- Person figures group by the actor columns within a platform and a period.
CREATE INDEX "ix_case_facts_verified_by_received_at" ON "case_facts" ("verified_by", "received_at");
CREATE INDEX "ix_case_facts_checked_by_finished_at" ON "case_facts" ("checked_by", "finished_at");
CREATE INDEX "ix_case_facts_filed_by_filed_at" ON "case_facts" ("filed_by", "filed_at");
CREATE INDEX "ix_case_facts_dispatched_by_dispatched_at" ON "case_facts" ("dispatched_by", "dispatched_at");
CREATE INDEX "ix_case_facts_closed_by_closed_at" ON "case_facts" ("closed_by", "closed_at");
CREATE INDEX "ix_case_facts_intake_by_received_at" ON "case_facts" ("intake_by", "received_at");
CREATE INDEX "ix_case_facts_reported_by_received_at" ON "case_facts" ("reported_by", "received_at");

-- A collection company (采集公司) is an organisation its inspectors belong to.
ALTER TABLE "users" ADD COLUMN "organisation" TEXT NULL;

-- The last event an archived report saw: events after it are carried into the next report as corrections.
ALTER TABLE "archived_reports" ADD COLUMN "last_event_id" INTEGER NULL;
