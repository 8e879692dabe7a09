-- 0010 Open311 GeoReport v2: what a client sent beside each case it created (docs/decisions/016).

CREATE TABLE "open311_requests" (
    "case_id" TEXT NOT NULL CONSTRAINT "PK_open311_requests" PRIMARY KEY,
    "client" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "service_code" TEXT NOT NULL,
    "attributes" TEXT NOT NULL,
    "media_urls" TEXT NULL,
    "created_at" INTEGER NOT NULL
);

CREATE UNIQUE INDEX "ix_open311_requests_token" ON "open311_requests" ("token");
CREATE INDEX "ix_open311_requests_client" ON "open311_requests" ("client");
