-- 0045 Who had a grid when (docs/decisions/054): one row per inspector's tenure of a grid, so that a past period's
-- 漏报 counts the grids the inspector had then. The tenures already given (grids.inspector) are taken as held since
-- before any record (1970-01-01): nothing says when they began.
CREATE TABLE IF NOT EXISTS "grid_assignments" (
    "id" TEXT NOT NULL CONSTRAINT "PK_grid_assignments" PRIMARY KEY,
    "grid_code" TEXT NOT NULL,
    "inspector" TEXT NOT NULL,
    "valid_from" INTEGER NOT NULL,
    "valid_to" INTEGER NULL,
    "assigned_by" TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS "ix_grid_assignments_grid_code_valid_from" ON "grid_assignments" ("grid_code", "valid_from");
CREATE INDEX IF NOT EXISTS "ix_grid_assignments_inspector_valid_from" ON "grid_assignments" ("inspector", "valid_from");
INSERT INTO "grid_assignments" ("id", "grid_code", "inspector", "valid_from", "valid_to", "assigned_by")
SELECT upper(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       "code", "inspector", 0, NULL, 'system:migration-0045'
FROM "grids" WHERE "inspector" IS NOT NULL AND "inspector" <> '';
