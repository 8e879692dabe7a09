-- 0016 Historical case import with a mapping file (docs/decisions/022).
-- The figures' facts learn which cases came from an import and what their source recorded; existing rows are own
-- cases, whose steps and reply timeliness are known.
ALTER TABLE "case_facts" ADD COLUMN "import_origin" TEXT NULL;
ALTER TABLE "case_facts" ADD COLUMN "steps_known" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "case_facts" ADD COLUMN "reply_known" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "case_facts" ADD COLUMN "closed_steps_known" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "case_facts" ADD COLUMN "imported_reply_on_time" INTEGER NULL;
UPDATE "case_facts" SET "closed_steps_known" = "closed";

-- One row per imported source row: its stable key (origin + source id, or a hash of the row) makes a re-run add nothing.
CREATE TABLE "case_imports" (
    "origin" TEXT NOT NULL,
    "source_key" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "case_number" TEXT NOT NULL,
    "imported_at" INTEGER NOT NULL,
    "flags" TEXT NULL,
    CONSTRAINT "PK_case_imports" PRIMARY KEY ("origin", "source_key")
);
CREATE INDEX "ix_case_imports_case_id" ON "case_imports" ("case_id");
