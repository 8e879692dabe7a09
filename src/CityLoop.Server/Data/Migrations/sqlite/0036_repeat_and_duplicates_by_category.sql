-- 0036 The intake's repeat check by place and the duplicate hints, by category and instant (docs/decisions/040): the
-- closed cases of a category by closing instant, and the cases of a category by creation instant (which replaces the
-- index on the category alone).
CREATE INDEX IF NOT EXISTS "ix_cases_category_code_closed_at" ON "cases" ("category_code", "closed_at") WHERE "state" = 'Closed';
CREATE INDEX IF NOT EXISTS "ix_cases_category_code_created_at" ON "cases" ("category_code", "created_at");
DROP INDEX IF EXISTS "ix_cases_category_code";
