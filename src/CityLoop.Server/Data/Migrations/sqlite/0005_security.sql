-- CityLoop schema version 0005: delivery that cannot jam — a message that failed waits for its next attempt
-- (doubling backoff) instead of heading every batch.
ALTER TABLE "message_outbox" ADD COLUMN "next_attempt_at" INTEGER NULL;

-- A second factor for staff (TOTP): the secret, and whether enrolment was confirmed with a first code.
ALTER TABLE "users" ADD COLUMN "totp_secret" TEXT NULL;
ALTER TABLE "users" ADD COLUMN "totp_enabled" INTEGER NOT NULL DEFAULT 0;
