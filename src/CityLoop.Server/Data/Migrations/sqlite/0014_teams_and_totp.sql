-- 0014 Internal assignment to a team (二级派遣, docs/decisions/020) and the TOTP replay guard.
ALTER TABLE "cases" ADD COLUMN "assigned_team" TEXT NULL;
CREATE INDEX "ix_cases_assigned_team" ON "cases" ("assigned_team") WHERE "assigned_team" IS NOT NULL;

-- A TOTP code is accepted once (RFC 6238 §5.2): the time step of the last code accepted per account.
ALTER TABLE "users" ADD COLUMN "totp_last_step" INTEGER NULL;
