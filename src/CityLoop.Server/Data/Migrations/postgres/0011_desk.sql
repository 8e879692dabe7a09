-- CityLoop schema version 0011: the hotline's call records (接通率, the missed-call call-back list) and the
-- knowledge base (docs/decisions/017).
CREATE TABLE call_records (
    id uuid NOT NULL,
    platform_code character varying(16) NOT NULL,
    call_id character varying(64) NOT NULL,
    caller_phone text,
    caller_phone_hash character varying(100),
    called_line character varying(32) NOT NULL,
    recording_ref text,
    queued_at timestamp with time zone NOT NULL,
    answered_at timestamp with time zone,
    ended_at timestamp with time zone,
    wait_seconds integer,
    talk_seconds integer,
    agent_id text,
    agent_name text,
    offered integer NOT NULL,
    answered integer NOT NULL,
    missed integer NOT NULL,
    case_id uuid,
    case_number text,
    emergency text,
    callback_at timestamp with time zone,
    callback_by_id text,
    callback_by_name text,
    callback_reached boolean,
    callback_note text,
    reported_by text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    version integer NOT NULL,
    CONSTRAINT pk_call_records PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_call_records_platform_code_call_id ON call_records (platform_code, call_id);
CREATE INDEX ix_call_records_platform_code_queued_at ON call_records (platform_code, queued_at);
CREATE INDEX ix_call_records_caller_phone_hash ON call_records (caller_phone_hash);
CREATE INDEX ix_call_records_missed_callback_at_queued_at ON call_records (missed, callback_at, queued_at);
CREATE INDEX ix_call_records_agent_id_answered_at ON call_records (agent_id, answered_at);

CREATE TABLE knowledge_articles (
    id uuid NOT NULL,
    title character varying(200) NOT NULL,
    answer character varying(2000) NOT NULL,
    body character varying(8000),
    keywords character varying(200),
    category_code character varying(64),
    owner_department_code character varying(64) NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    created_by text NOT NULL,
    created_by_name text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_by text NOT NULL,
    updated_by_name text NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    version integer NOT NULL,
    search_terms text NOT NULL,
    CONSTRAINT pk_knowledge_articles PRIMARY KEY (id)
);
CREATE INDEX ix_knowledge_articles_category_code ON knowledge_articles (category_code);
CREATE INDEX ix_knowledge_articles_updated_at ON knowledge_articles (updated_at);
-- The bigram terms as a tsvector (decision 013), as for cases.
ALTER TABLE knowledge_articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_terms, ' '))) STORED;
CREATE INDEX ix_knowledge_articles_search_vector ON knowledge_articles USING gin (search_vector);
