-- CityLoop schema version 0007: bigram search terms of cases and the indexes of the workbench lists at scale
-- (decision 013).
ALTER TABLE "cases" ADD COLUMN "search_terms" TEXT NULL;

-- The same terms as on PostgreSQL, indexed by FTS5: the application prepares the terms, the tokenizer only splits
-- them at the spaces. Triggers keep the index in step with the column.
CREATE VIRTUAL TABLE cases_fts USING fts5(id UNINDEXED, search_terms, tokenize = 'unicode61 remove_diacritics 0');
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases WHEN new.search_terms IS NOT NULL BEGIN
    INSERT INTO cases_fts (id, search_terms) VALUES (new.id, new.search_terms);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF search_terms ON cases BEGIN
    DELETE FROM cases_fts WHERE id = old.id;
    INSERT INTO cases_fts (id, search_terms) SELECT new.id, new.search_terms WHERE new.search_terms IS NOT NULL;
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
    DELETE FROM cases_fts WHERE id = old.id;
END;

CREATE INDEX "ix_cases_clock_due_at" ON "cases" ("clock_due_at");
CREATE INDEX "ix_cases_reporter_phone_closed_at" ON "cases" ("reporter_phone", "closed_at");
CREATE INDEX "ix_cases_street_code_created_at" ON "cases" ("street_code", "created_at");
CREATE INDEX "ix_cases_community_code_created_at" ON "cases" ("community_code", "created_at");
