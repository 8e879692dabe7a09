-- CityLoop schema version 0001: cases and their event log, identity, audit, idempotency, departments, attachments.
-- Generated from the EF model with 'schema-script', then reviewed; append-only triggers added by hand.
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL CONSTRAINT "PK_api_keys" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "revoked_at" INTEGER NULL
);


CREATE TABLE "attachments" (
    "id" TEXT NOT NULL CONSTRAINT "PK_attachments" PRIMARY KEY,
    "case_id" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "content" BLOB NOT NULL,
    "uploaded_by" TEXT NOT NULL,
    "uploaded_at" INTEGER NOT NULL
);


CREATE TABLE "audit_log" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_audit_log" PRIMARY KEY AUTOINCREMENT,
    "at" INTEGER NOT NULL,
    "actor_id" TEXT NOT NULL,
    "actor_name" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NULL,
    "result" TEXT NOT NULL,
    "ip" TEXT NULL,
    "detail" TEXT NULL
);


CREATE TABLE "case_events" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_case_events" PRIMARY KEY AUTOINCREMENT,
    "case_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "from_state" TEXT NULL,
    "to_state" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "actor_name" TEXT NOT NULL,
    "actor_is_system" INTEGER NOT NULL,
    "role" TEXT NULL,
    "department_code" TEXT NULL,
    "at" INTEGER NOT NULL,
    "opinion" TEXT NULL,
    "payload" TEXT NULL
);


CREATE TABLE "case_number_sequences" (
    "platform" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "last_value" INTEGER NOT NULL,
    CONSTRAINT "PK_case_number_sequences" PRIMARY KEY ("platform", "day")
);


CREATE TABLE "cases" (
    "id" TEXT NOT NULL CONSTRAINT "PK_cases" PRIMARY KEY,
    "number" TEXT NOT NULL,
    "platform_code" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "request_type" TEXT NOT NULL,
    "category_code" TEXT NULL,
    "catalogue_version" INTEGER NULL,
    "filing_standard_item" TEXT NULL,
    "closing_standard_item" TEXT NULL,
    "title" TEXT NULL,
    "description" TEXT NOT NULL,
    "urgency" TEXT NOT NULL,
    "external_id" TEXT NULL,
    "latitude" REAL NULL,
    "longitude" REAL NULL,
    "address" TEXT NULL,
    "grid_code" TEXT NULL,
    "community_code" TEXT NULL,
    "street_code" TEXT NULL,
    "district_code" TEXT NULL,
    "outside_grid" INTEGER NOT NULL,
    "component_id" TEXT NULL,
    "reporter_name" TEXT NULL,
    "reporter_phone" TEXT NULL,
    "confidential" INTEGER NOT NULL,
    "anonymous" INTEGER NOT NULL,
    "query_code_hash" TEXT NULL,
    "lead_department_code" TEXT NULL,
    "assisting_department_codes" TEXT NOT NULL,
    "assigned_inspector" TEXT NULL,
    "filing_due_at" INTEGER NULL,
    "sign_for_due_at" INTEGER NULL,
    "handling_due_at" INTEGER NULL,
    "check_due_at" INTEGER NULL,
    "close_due_at" INTEGER NULL,
    "follow_up_due_at" INTEGER NULL,
    "requested_due_at" INTEGER NULL,
    "suspended_at" INTEGER NULL,
    "is_overdue" INTEGER NOT NULL,
    "supervised" INTEGER NOT NULL,
    "merged_into_number" TEXT NULL,
    "transfer_target" TEXT NULL,
    "reopened_count" INTEGER NOT NULL,
    "rework_count" INTEGER NOT NULL,
    "return_count" INTEGER NOT NULL,
    "closed_at_intake" INTEGER NOT NULL,
    "resume_state" TEXT NULL,
    "answer" TEXT NULL,
    "result" TEXT NULL,
    "reject_reason" TEXT NULL,
    "followed_up_at" INTEGER NULL,
    "follow_up_contacted" INTEGER NULL,
    "follow_up_resolved" INTEGER NULL,
    "follow_up_satisfaction" TEXT NULL,
    "follow_up_comment" TEXT NULL,
    "created_at" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "filed_at" INTEGER NULL,
    "dispatched_at" INTEGER NULL,
    "finished_at" INTEGER NULL,
    "closed_at" INTEGER NULL,
    "phase_started_at" INTEGER NOT NULL
);


CREATE TABLE "data_protection_keys" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_data_protection_keys" PRIMARY KEY AUTOINCREMENT,
    "friendly_name" TEXT NOT NULL,
    "xml" TEXT NOT NULL
);


CREATE TABLE "departments" (
    "code" TEXT NOT NULL CONSTRAINT "PK_departments" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "parent_code" TEXT NULL,
    "kind" TEXT NOT NULL,
    "contact" TEXT NULL,
    "working_hours" TEXT NULL
);


CREATE TABLE "idempotency_keys" (
    "client_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    CONSTRAINT "PK_idempotency_keys" PRIMARY KEY ("client_id", "key")
);


CREATE TABLE "users" (
    "id" TEXT NOT NULL CONSTRAINT "PK_users" PRIMARY KEY,
    "user_name" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "roles" TEXT NOT NULL,
    "department_code" TEXT NULL,
    "disabled" INTEGER NOT NULL,
    "failed_sign_ins" INTEGER NOT NULL,
    "locked_until" INTEGER NULL,
    "password_changed_at" INTEGER NOT NULL,
    "must_change_password" INTEGER NOT NULL,
    "created_at" INTEGER NOT NULL,
    "version" INTEGER NOT NULL
);


CREATE UNIQUE INDEX "ix_api_keys_prefix" ON "api_keys" ("prefix");


CREATE INDEX "ix_attachments_case_id" ON "attachments" ("case_id");


CREATE INDEX "ix_audit_log_at" ON "audit_log" ("at");


CREATE INDEX "ix_case_events_action_at" ON "case_events" ("action", "at");


CREATE UNIQUE INDEX "ix_case_events_case_id_seq" ON "case_events" ("case_id", "seq");


CREATE INDEX "ix_cases_category_code" ON "cases" ("category_code");


CREATE INDEX "ix_cases_created_at" ON "cases" ("created_at");


CREATE INDEX "ix_cases_grid_code" ON "cases" ("grid_code");


CREATE INDEX "ix_cases_lead_department_code_state" ON "cases" ("lead_department_code", "state");


CREATE UNIQUE INDEX "ix_cases_number" ON "cases" ("number");


CREATE INDEX "ix_cases_reporter_phone" ON "cases" ("reporter_phone");


CREATE INDEX "ix_cases_source_external_id" ON "cases" ("source", "external_id");


CREATE INDEX "ix_cases_state_created_at" ON "cases" ("state", "created_at");


CREATE INDEX "ix_idempotency_keys_created_at" ON "idempotency_keys" ("created_at");


CREATE UNIQUE INDEX "ix_users_user_name" ON "users" ("user_name");




-- The audit trail and the case event log are append-only: no role, and no code path, may change or remove a row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
