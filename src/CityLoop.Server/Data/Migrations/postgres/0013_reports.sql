-- 0013 Figures, assessment and archived reports (docs/decisions/019).
-- 超期待处置 follows from counters every fact row already holds, so existing rows are filled here, not by a rebuild.
ALTER TABLE case_facts ADD COLUMN overdue_pending integer NOT NULL DEFAULT 0;
UPDATE case_facts SET overdue_pending = 1 WHERE need_dispose = 1 AND disposed = 0 AND overdue = 1;

-- Reports as published: the figures at their cut-off, never recomputed.
CREATE TABLE archived_reports (
    id uuid NOT NULL,
    platform_code character varying(32) NOT NULL,
    kind character varying(16) NOT NULL,
    period_key character varying(16) NOT NULL,
    period_from timestamp with time zone NOT NULL,
    period_to timestamp with time zone NOT NULL,
    cut_off timestamp with time zone NOT NULL,
    generated_by text NOT NULL,
    content text NOT NULL,
    CONSTRAINT "PK_archived_reports" PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_archived_reports_platform_code_kind_period_key ON archived_reports (platform_code, kind, period_key);

-- 绩效评价 self-reports: the editable indicator system of a platform's year, with manual scores and their reasons.
CREATE TABLE evaluations (
    id uuid NOT NULL,
    platform_code character varying(32) NOT NULL,
    year integer NOT NULL,
    title character varying(200) NOT NULL,
    items text NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    updated_by text NOT NULL,
    CONSTRAINT "PK_evaluations" PRIMARY KEY (id)
);

CREATE INDEX ix_evaluations_platform_code_year ON evaluations (platform_code, year);
