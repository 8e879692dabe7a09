-- CityLoop schema version 0011: the hotline's call records (接通率, the missed-call call-back list) and the
-- knowledge base (docs/decisions/017).
CREATE TABLE "call_records" (
    "id" TEXT NOT NULL CONSTRAINT "PK_call_records" PRIMARY KEY,
    "platform_code" TEXT NOT NULL,
    "call_id" TEXT NOT NULL,
    "caller_phone" TEXT NULL,
    "caller_phone_hash" TEXT NULL,
    "called_line" TEXT NOT NULL,
    "recording_ref" TEXT NULL,
    "queued_at" INTEGER NOT NULL,
    "answered_at" INTEGER NULL,
    "ended_at" INTEGER NULL,
    "wait_seconds" INTEGER NULL,
    "talk_seconds" INTEGER NULL,
    "agent_id" TEXT NULL,
    "agent_name" TEXT NULL,
    "offered" INTEGER NOT NULL,
    "answered" INTEGER NOT NULL,
    "missed" INTEGER NOT NULL,
    "case_id" TEXT NULL,
    "case_number" TEXT NULL,
    "emergency" TEXT NULL,
    "callback_at" INTEGER NULL,
    "callback_by_id" TEXT NULL,
    "callback_by_name" TEXT NULL,
    "callback_reached" INTEGER NULL,
    "callback_note" TEXT NULL,
    "reported_by" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "version" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "ix_call_records_platform_code_call_id" ON "call_records" ("platform_code", "call_id");
CREATE INDEX "ix_call_records_platform_code_queued_at" ON "call_records" ("platform_code", "queued_at");
CREATE INDEX "ix_call_records_caller_phone_hash" ON "call_records" ("caller_phone_hash");
CREATE INDEX "ix_call_records_missed_callback_at_queued_at" ON "call_records" ("missed", "callback_at", "queued_at");
CREATE INDEX "ix_call_records_agent_id_answered_at" ON "call_records" ("agent_id", "answered_at");

CREATE TABLE "knowledge_articles" (
    "id" TEXT NOT NULL CONSTRAINT "PK_knowledge_articles" PRIMARY KEY,
    "title" TEXT NOT NULL,
    "answer" TEXT NOT NULL,
    "body" TEXT NULL,
    "keywords" TEXT NULL,
    "category_code" TEXT NULL,
    "owner_department_code" TEXT NOT NULL,
    "valid_from" TEXT NOT NULL,
    "valid_to" TEXT NULL,
    "created_by" TEXT NOT NULL,
    "created_by_name" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_by" TEXT NOT NULL,
    "updated_by_name" TEXT NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "search_terms" TEXT NOT NULL
);
CREATE INDEX "ix_knowledge_articles_category_code" ON "knowledge_articles" ("category_code");
CREATE INDEX "ix_knowledge_articles_updated_at" ON "knowledge_articles" ("updated_at");

-- The bigram terms indexed by FTS5 (decision 013), kept in step by triggers, as for cases.
CREATE VIRTUAL TABLE knowledge_articles_fts USING fts5(id UNINDEXED, search_terms, tokenize = 'unicode61 remove_diacritics 0');
CREATE TRIGGER knowledge_articles_fts_insert AFTER INSERT ON knowledge_articles BEGIN
    INSERT INTO knowledge_articles_fts (id, search_terms) VALUES (new.id, new.search_terms);
END;
CREATE TRIGGER knowledge_articles_fts_update AFTER UPDATE OF search_terms ON knowledge_articles BEGIN
    DELETE FROM knowledge_articles_fts WHERE id = old.id;
    INSERT INTO knowledge_articles_fts (id, search_terms) VALUES (new.id, new.search_terms);
END;
CREATE TRIGGER knowledge_articles_fts_delete AFTER DELETE ON knowledge_articles BEGIN
    DELETE FROM knowledge_articles_fts WHERE id = old.id;
END;
