-- CityLoop schema version 0004: the loop, complete and exact — every phase timed (verification, dispatch, review),
-- internal assignment, check tasks to named inspectors, self-handled and merged cases, the platform on every event and
-- derived row, the clock record on each event (what the figures and the rebuild read), the centre's calendar and the
-- working-day rule, grid inspectors, and the rebuild checkpoint.
ALTER TABLE "cases" ADD COLUMN "verification_due_at" INTEGER NULL;
ALTER TABLE "cases" ADD COLUMN "dispatch_due_at" INTEGER NULL;
ALTER TABLE "cases" ADD COLUMN "review_due_at" INTEGER NULL;
ALTER TABLE "cases" ADD COLUMN "assigned_handler" TEXT NULL;
ALTER TABLE "cases" ADD COLUMN "inspector_ids" TEXT NOT NULL DEFAULT '';
ALTER TABLE "cases" ADD COLUMN "verified_by" TEXT NULL;
ALTER TABLE "cases" ADD COLUMN "self_handled" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "cases" ADD COLUMN "clock_paused_seconds" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "cases" ADD COLUMN "merged_in_count" INTEGER NOT NULL DEFAULT 0;

UPDATE "cases" SET "state" = 'Merged' WHERE "state" = 'Cancelled' AND "merged_into_number" IS NOT NULL;
UPDATE "cases" SET "inspector_ids" = ',' || "assigned_inspector" || ',' WHERE "assigned_inspector" IS NOT NULL;

ALTER TABLE "case_events" ADD COLUMN "platform_code" TEXT NOT NULL DEFAULT '';
ALTER TABLE "case_events" ADD COLUMN "clock" TEXT NULL;
UPDATE "case_events" SET "platform_code" = (SELECT "platform_code" FROM "cases" WHERE "cases"."id" = "case_events"."case_id");
CREATE INDEX "ix_case_events_platform_code_at" ON "case_events" ("platform_code", "at");

ALTER TABLE "case_phase_times" ADD COLUMN "platform_code" TEXT NOT NULL DEFAULT '';
ALTER TABLE "case_phase_times" ADD COLUMN "ended_by_seq" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_phase_times" ADD COLUMN "user_id" TEXT NULL;
UPDATE "case_phase_times" SET "platform_code" = (SELECT "platform_code" FROM "cases" WHERE "cases"."id" = "case_phase_times"."case_id");

ALTER TABLE "follow_up_tasks" ADD COLUMN "platform_code" TEXT NOT NULL DEFAULT '';
UPDATE "follow_up_tasks" SET "platform_code" = (SELECT "platform_code" FROM "cases" WHERE "cases"."id" = "follow_up_tasks"."case_id");

ALTER TABLE "reminders" ADD COLUMN "platform_code" TEXT NOT NULL DEFAULT '';
UPDATE "reminders" SET "platform_code" = (SELECT "platform_code" FROM "cases" WHERE "cases"."id" = "reminders"."case_id");

ALTER TABLE "calendars" ADD COLUMN "day_rule" TEXT NULL;
ALTER TABLE "grids" ADD COLUMN "inspector" TEXT NULL;

CREATE TABLE "projection_checkpoints" (
    "name" TEXT NOT NULL CONSTRAINT "PK_projection_checkpoints" PRIMARY KEY,
    "last_case_id" TEXT NOT NULL,
    "cases" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL
);
