-- CityLoop schema version 0004: the loop, complete and exact — every phase timed (verification, dispatch, review),
-- internal assignment, check tasks to named inspectors, self-handled and merged cases, the platform on every event and
-- derived row, the clock record on each event (what the figures and the rebuild read), the centre's calendar and the
-- working-day rule, grid inspectors, and the rebuild checkpoint.
ALTER TABLE cases ADD COLUMN verification_due_at timestamp with time zone;
ALTER TABLE cases ADD COLUMN dispatch_due_at timestamp with time zone;
ALTER TABLE cases ADD COLUMN review_due_at timestamp with time zone;
ALTER TABLE cases ADD COLUMN assigned_handler text;
ALTER TABLE cases ADD COLUMN inspector_ids character varying(2000) NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN verified_by text;
ALTER TABLE cases ADD COLUMN self_handled boolean NOT NULL DEFAULT false;
ALTER TABLE cases ADD COLUMN clock_paused_seconds bigint NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN merged_in_count integer NOT NULL DEFAULT 0;

-- A merged report was stored as cancelled: it is its own state now.
UPDATE cases SET state = 'Merged' WHERE state = 'Cancelled' AND merged_into_number IS NOT NULL;
-- Inspectors keep seeing the cases they held tasks on.
UPDATE cases SET inspector_ids = ',' || assigned_inspector || ',' WHERE assigned_inspector IS NOT NULL;

ALTER TABLE case_events ADD COLUMN platform_code text NOT NULL DEFAULT '';
ALTER TABLE case_events ADD COLUMN clock text;
UPDATE case_events e SET platform_code = c.platform_code FROM cases c WHERE c.id = e.case_id;
CREATE INDEX ix_case_events_platform_code_at ON case_events (platform_code, at);

ALTER TABLE case_phase_times ADD COLUMN platform_code text NOT NULL DEFAULT '';
ALTER TABLE case_phase_times ADD COLUMN ended_by_seq integer NOT NULL DEFAULT 0;
ALTER TABLE case_phase_times ADD COLUMN user_id text;
UPDATE case_phase_times p SET platform_code = c.platform_code FROM cases c WHERE c.id = p.case_id;

ALTER TABLE follow_up_tasks ADD COLUMN platform_code text NOT NULL DEFAULT '';
UPDATE follow_up_tasks t SET platform_code = c.platform_code FROM cases c WHERE c.id = t.case_id;

ALTER TABLE reminders ADD COLUMN platform_code text NOT NULL DEFAULT '';
UPDATE reminders r SET platform_code = c.platform_code FROM cases c WHERE c.id = r.case_id;

ALTER TABLE calendars ADD COLUMN day_rule text;
ALTER TABLE grids ADD COLUMN inspector text;

CREATE TABLE projection_checkpoints (
    name character varying(64) NOT NULL,
    last_case_id uuid NOT NULL,
    cases bigint NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_projection_checkpoints" PRIMARY KEY (name)
);
