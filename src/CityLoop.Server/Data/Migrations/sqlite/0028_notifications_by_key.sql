-- 0028 Notifications told in the reader's language and folded per case and phase (docs/decisions/034).
-- A message keeps the key of its template and the fields it was filled with (JSON; a field may carry its English
-- twin under "name@en"), so the inbox renders it in the reader's language; the stored body stays the Chinese text
-- (SMS, e-mail, and rows written before this version, which have no key and read as they were stored). The phase a
-- message is about lets a stale one be set aside at delivery and an unread one be brought up to date instead of
-- piling up: one unread message per person, case and phase.
ALTER TABLE "message_outbox" ADD COLUMN "fields" TEXT NULL;
ALTER TABLE "message_outbox" ADD COLUMN "phase" TEXT NULL;
ALTER TABLE "notifications" ADD COLUMN "template" TEXT NULL;
ALTER TABLE "notifications" ADD COLUMN "fields" TEXT NULL;
ALTER TABLE "notifications" ADD COLUMN "phase" TEXT NULL;
CREATE INDEX "ix_notifications_user_id_case_id" ON "notifications" ("user_id", "case_id") WHERE read_at IS NULL;
