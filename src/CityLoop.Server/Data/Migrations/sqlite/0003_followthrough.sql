-- CityLoop schema version 0003: follow-through — phase clocks on cases (lights, the worker's next check), repeats,
-- reminders (unique per case, phase, kind, level and due: sent once on any number of nodes), per-phase times,
-- notifications and the message outbox, supervision orders, follow-up tasks.
-- Generated from the EF model with 'schema-script', then reviewed.
ALTER TABLE "cases" ADD COLUMN "clock_phase" TEXT NULL;
ALTER TABLE "cases" ADD COLUMN "clock_started_at" INTEGER NULL;
ALTER TABLE "cases" ADD COLUMN "clock_due_at" INTEGER NULL;
ALTER TABLE "cases" ADD COLUMN "clock_warn_at" INTEGER NULL;
ALTER TABLE "cases" ADD COLUMN "next_check_at" INTEGER NULL;
ALTER TABLE "cases" ADD COLUMN "repeat_of_number" TEXT NULL;

-- Cases stored before this version have no persisted clock: the worker starts each one on its first sweep.
UPDATE "cases" SET "next_check_at" = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE "state" NOT IN ('Rejected', 'Transferred', 'Cancelled') AND ("state" <> 'Closed' OR "followed_up_at" IS NULL);

CREATE INDEX "ix_cases_next_check_at" ON "cases" ("next_check_at");

CREATE INDEX "ix_cases_repeat_of_number" ON "cases" ("repeat_of_number");

CREATE TABLE "case_phase_times" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_case_phase_times" PRIMARY KEY AUTOINCREMENT,
    "case_id" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "started_at" INTEGER NOT NULL,
    "ended_at" INTEGER NOT NULL,
    "due_at" INTEGER NULL,
    "limit_type" TEXT NULL,
    "wall_seconds" INTEGER NOT NULL,
    "business_seconds" INTEGER NOT NULL,
    "paused_seconds" INTEGER NOT NULL,
    "on_time" INTEGER NOT NULL,
    "department_code" TEXT NULL
);

CREATE TABLE "follow_up_tasks" (
    "id" TEXT NOT NULL CONSTRAINT "PK_follow_up_tasks" PRIMARY KEY,
    "case_id" TEXT NOT NULL,
    "case_number" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "outcome" TEXT NULL,
    "token_hash" TEXT NULL,
    "created_at" INTEGER NOT NULL,
    "due_at" INTEGER NULL,
    "completed_at" INTEGER NULL,
    "completed_by" TEXT NULL,
    "resolved" INTEGER NULL,
    "satisfaction" TEXT NULL,
    "comment" TEXT NULL,
    "department_code" TEXT NULL
);

CREATE TABLE "message_outbox" (
    "id" TEXT NOT NULL CONSTRAINT "PK_message_outbox" PRIMARY KEY,
    "channel" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "user_id" TEXT NULL,
    "case_id" TEXT NULL,
    "template" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "created_at" INTEGER NOT NULL,
    "sent_at" INTEGER NULL,
    "error" TEXT NULL
);

CREATE TABLE "notifications" (
    "id" TEXT NOT NULL CONSTRAINT "PK_notifications" PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "case_id" TEXT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "read_at" INTEGER NULL
);

CREATE TABLE "reminders" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_reminders" PRIMARY KEY AUTOINCREMENT,
    "case_id" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "due_at" INTEGER NOT NULL,
    "sent_at" INTEGER NOT NULL,
    "recipients" INTEGER NOT NULL
);

CREATE TABLE "supervision_orders" (
    "id" TEXT NOT NULL CONSTRAINT "PK_supervision_orders" PRIMARY KEY,
    "batch_id" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "case_number" TEXT NOT NULL,
    "department_code" TEXT NULL,
    "level" TEXT NOT NULL,
    "requirement" TEXT NOT NULL,
    "due_at" INTEGER NOT NULL,
    "issued_by" TEXT NOT NULL,
    "issued_at" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "reply" TEXT NULL,
    "replied_by" TEXT NULL,
    "replied_at" INTEGER NULL,
    "closed_by" TEXT NULL,
    "closed_at" INTEGER NULL,
    "closing_opinion" TEXT NULL
);

CREATE TABLE "user_contacts" (
    "user_id" TEXT NOT NULL CONSTRAINT "PK_user_contacts" PRIMARY KEY,
    "phone" TEXT NULL,
    "email" TEXT NULL
);

CREATE INDEX "ix_case_phase_times_case_id_phase_started_at" ON "case_phase_times" ("case_id", "phase", "started_at");

CREATE INDEX "ix_case_phase_times_department_code_ended_at" ON "case_phase_times" ("department_code", "ended_at");

CREATE INDEX "ix_follow_up_tasks_case_id" ON "follow_up_tasks" ("case_id");

CREATE INDEX "ix_follow_up_tasks_status_created_at" ON "follow_up_tasks" ("status", "created_at");

CREATE UNIQUE INDEX "ix_follow_up_tasks_token_hash" ON "follow_up_tasks" ("token_hash");

CREATE INDEX "ix_message_outbox_case_id" ON "message_outbox" ("case_id");

CREATE INDEX "ix_message_outbox_created_at" ON "message_outbox" ("created_at") WHERE status = 'pending';

CREATE INDEX "ix_notifications_user_id_created_at" ON "notifications" ("user_id", "created_at");

CREATE UNIQUE INDEX "ix_reminders_case_id_phase_kind_level_due_at" ON "reminders" ("case_id", "phase", "kind", "level", "due_at");

CREATE INDEX "ix_supervision_orders_case_id" ON "supervision_orders" ("case_id");

CREATE INDEX "ix_supervision_orders_department_code" ON "supervision_orders" ("department_code");

CREATE INDEX "ix_supervision_orders_status_due_at" ON "supervision_orders" ("status", "due_at");
