-- 0012 The citizen portal (docs/decisions/018): whose rating the satisfaction counters of a case's facts hold,
-- the follow-up call's or the citizen's own rating on the portal. Existing rows hold the follow-up's, if any.

ALTER TABLE "case_facts" ADD COLUMN "rating_source" TEXT NULL;
UPDATE "case_facts" SET "rating_source" = 'follow-up' WHERE "rated" = 1;
