-- 0014 Internal assignment to a team (二级派遣 to a child department of the lead department), docs/decisions/020.
ALTER TABLE "cases" ADD COLUMN "assigned_team" TEXT NULL;
CREATE INDEX "ix_cases_assigned_team" ON "cases" ("assigned_team") WHERE "assigned_team" IS NOT NULL;
