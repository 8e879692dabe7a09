-- 0024 Indexes that skip what no query looks for (docs/decisions/031).
-- A B-tree index holds an entry for every row, NULLs included, and an update that changes an indexed column writes an
-- entry into every index of the table. A case's fact row is written at intake with most step columns still NULL (not
-- yet filed, dispatched, finished, closed, followed up; nobody has verified, checked, filed, dispatched or closed it)
-- and updated at every step: each of its 17 indexes took an entry each time. Every query that uses these indexes
-- names the column with a range or an equality (a figure's period, a department, a street, a person), which the
-- planner knows to imply IS NOT NULL, so the same plans read partial indexes that hold only the rows that have a value.
DROP INDEX IF EXISTS ix_case_facts_platform_code_filed_at;
CREATE INDEX ix_case_facts_platform_code_filed_at ON case_facts (platform_code, filed_at) WHERE filed_at IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_platform_code_dispatched_at;
CREATE INDEX ix_case_facts_platform_code_dispatched_at ON case_facts (platform_code, dispatched_at) WHERE dispatched_at IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_platform_code_handling_due_at;
CREATE INDEX ix_case_facts_platform_code_handling_due_at ON case_facts (platform_code, handling_due_at) WHERE handling_due_at IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_platform_code_finished_at;
CREATE INDEX ix_case_facts_platform_code_finished_at ON case_facts (platform_code, finished_at) WHERE finished_at IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_platform_code_closed_at;
CREATE INDEX ix_case_facts_platform_code_closed_at ON case_facts (platform_code, closed_at) WHERE closed_at IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_platform_code_followed_up_at;
CREATE INDEX ix_case_facts_platform_code_followed_up_at ON case_facts (platform_code, followed_up_at) WHERE followed_up_at IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_lead_department_code_received_at;
CREATE INDEX ix_case_facts_lead_department_code_received_at ON case_facts (lead_department_code, received_at) WHERE lead_department_code IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_street_code_received_at;
CREATE INDEX ix_case_facts_street_code_received_at ON case_facts (street_code, received_at) WHERE street_code IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_verified_by_received_at;
CREATE INDEX ix_case_facts_verified_by_received_at ON case_facts (verified_by, received_at) WHERE verified_by IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_checked_by_finished_at;
CREATE INDEX ix_case_facts_checked_by_finished_at ON case_facts (checked_by, finished_at) WHERE checked_by IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_filed_by_filed_at;
CREATE INDEX ix_case_facts_filed_by_filed_at ON case_facts (filed_by, filed_at) WHERE filed_by IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_dispatched_by_dispatched_at;
CREATE INDEX ix_case_facts_dispatched_by_dispatched_at ON case_facts (dispatched_by, dispatched_at) WHERE dispatched_by IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_closed_by_closed_at;
CREATE INDEX ix_case_facts_closed_by_closed_at ON case_facts (closed_by, closed_at) WHERE closed_by IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_intake_by_received_at;
CREATE INDEX ix_case_facts_intake_by_received_at ON case_facts (intake_by, received_at) WHERE intake_by IS NOT NULL;
DROP INDEX IF EXISTS ix_case_facts_reported_by_received_at;
CREATE INDEX ix_case_facts_reported_by_received_at ON case_facts (reported_by, received_at) WHERE reported_by IS NOT NULL;

-- Cases: the same for the columns most cases leave empty. A repeat is looked for as "repeat_of_number IS NOT NULL";
-- an external id (a peer's or an import's number) is looked up by its value.
DROP INDEX IF EXISTS ix_cases_repeat_of_number;
CREATE INDEX ix_cases_repeat_of_number ON cases (repeat_of_number) WHERE repeat_of_number IS NOT NULL;
DROP INDEX IF EXISTS ix_cases_source_external_id;
CREATE INDEX ix_cases_source_external_id ON cases (source, external_id) WHERE external_id IS NOT NULL;
