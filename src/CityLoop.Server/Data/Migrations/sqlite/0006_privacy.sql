-- CityLoop schema version 0006: personal data and audit (issue 11) — the caller's own address; the phone's keyed
-- look-up hash (name, phone and address are encrypted by the application with a key outside the database: existing
-- rows are encrypted by the server right after this version, or by 'privacy-rekey'); the retention pass's index;
-- the audit hash chain and its retention anchors.
-- Generated from the EF model with 'schema-script', then reviewed; triggers by hand.
ALTER TABLE "cases" ADD COLUMN "reporter_address" TEXT NULL;
ALTER TABLE "cases" ADD COLUMN "reporter_phone_hash" TEXT NULL;

DROP INDEX IF EXISTS "ix_cases_reporter_phone";
CREATE INDEX "ix_cases_reporter_phone_hash" ON "cases" ("reporter_phone_hash");
CREATE INDEX "ix_cases_updated_at" ON "cases" ("updated_at") WHERE reporter_name IS NOT NULL OR reporter_phone IS NOT NULL OR reporter_address IS NOT NULL;

CREATE TABLE "audit_chain" (
    "seq" INTEGER NOT NULL CONSTRAINT "PK_audit_chain" PRIMARY KEY,
    "audit_id" INTEGER NOT NULL,
    "prev" TEXT NOT NULL,
    "mac" TEXT NOT NULL,
    "chained_at" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "ix_audit_chain_audit_id" ON "audit_chain" ("audit_id");

CREATE TABLE "audit_anchors" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_audit_anchors" PRIMARY KEY AUTOINCREMENT,
    "through_seq" INTEGER NOT NULL,
    "mac" TEXT NOT NULL,
    "purged_before" INTEGER NOT NULL,
    "at" INTEGER NOT NULL
);

-- The chain and its anchors are append-only. Audit records and their links may be removed only once a retention
-- anchor covers them (the purge writes the anchor first, in the same transaction).
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
WHEN OLD.seq > COALESCE((SELECT MAX(through_seq) FROM audit_anchors), 0)
BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors BEGIN SELECT RAISE(ABORT, 'audit_anchors is append-only'); END;
CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors BEGIN SELECT RAISE(ABORT, 'audit_anchors is append-only'); END;
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = OLD.id AND c.seq <= COALESCE((SELECT MAX(through_seq) FROM audit_anchors), 0))
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
