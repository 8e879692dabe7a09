-- 0010 Open311 GeoReport v2: what a client sent beside each case it created (docs/decisions/016).

CREATE TABLE open311_requests (
    case_id uuid NOT NULL,
    client text NOT NULL,
    token text NOT NULL,
    service_code text NOT NULL,
    attributes text NOT NULL,
    media_urls text,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_open311_requests" PRIMARY KEY (case_id)
);

CREATE UNIQUE INDEX ix_open311_requests_token ON open311_requests (token);
CREATE INDEX ix_open311_requests_client ON open311_requests (client);
