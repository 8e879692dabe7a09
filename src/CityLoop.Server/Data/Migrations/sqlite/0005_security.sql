-- CityLoop schema version 0005: delivery that cannot jam — a message that failed waits for its next attempt
-- (doubling backoff) instead of heading every batch.
ALTER TABLE "message_outbox" ADD COLUMN "next_attempt_at" INTEGER NULL;
