-- 0015 Platform-to-platform exchange (三级联网, docs/decisions/021): the outbox written with the case change that
-- causes it, the message ids seen from each peer, the links between a case here and its counterpart there, and the
-- link status per peer. A 市派 case keeps the upper platform's feedback deadline.
ALTER TABLE "cases" ADD COLUMN "feedback_due_at" INTEGER NULL;
ALTER TABLE "case_facts" ADD COLUMN "feedback_due_at" INTEGER NULL;

CREATE TABLE "exchange_outbox" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_exchange_outbox" PRIMARY KEY AUTOINCREMENT,
    "message_id" TEXT NOT NULL,
    "peer_code" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "next_attempt_at" INTEGER NOT NULL,
    "attempts" INTEGER NOT NULL,
    "last_error" TEXT NULL,
    "delivered_at" INTEGER NULL,
    "lease_until" INTEGER NULL,
    "leased_by" TEXT NULL
);
CREATE UNIQUE INDEX "ix_exchange_outbox_message_id" ON "exchange_outbox" ("message_id");
-- The delivery loop reads only what is undelivered: per peer and case in order, and by due instant.
CREATE INDEX "ix_exchange_outbox_peer_code_case_id_id" ON "exchange_outbox" ("peer_code", "case_id", "id") WHERE "delivered_at" IS NULL;
CREATE INDEX "ix_exchange_outbox_next_attempt_at" ON "exchange_outbox" ("next_attempt_at") WHERE "delivered_at" IS NULL;

CREATE TABLE "exchange_inbox" (
    "peer_code" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "case_id" TEXT NULL,
    "kind" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "received_at" INTEGER NOT NULL,
    CONSTRAINT "PK_exchange_inbox" PRIMARY KEY ("peer_code", "message_id")
);

CREATE TABLE "exchange_links" (
    "peer_code" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "remote_number" TEXT NULL,
    "origin" INTEGER NOT NULL,
    "seq_out" INTEGER NOT NULL,
    "seq_in" INTEGER NOT NULL,
    "created_at" INTEGER NOT NULL,
    CONSTRAINT "PK_exchange_links" PRIMARY KEY ("peer_code", "case_id")
);
CREATE UNIQUE INDEX "ix_exchange_links_peer_code_remote_number" ON "exchange_links" ("peer_code", "remote_number") WHERE "remote_number" IS NOT NULL;

CREATE TABLE "exchange_peers" (
    "code" TEXT NOT NULL CONSTRAINT "PK_exchange_peers" PRIMARY KEY,
    "last_success_at" INTEGER NULL,
    "last_error" TEXT NULL,
    "last_error_at" INTEGER NULL,
    "last_received_at" INTEGER NULL
);
