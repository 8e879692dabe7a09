-- 0035 The cases' search vectors in a table of their own, in the list's order (docs/decisions/039).
--
-- A text search newest first walks the newest cases checking each one's vector (decision 035). Read from the cases
-- table, each of those rows is a heap page of its own (a case's updates scatter its versions) plus, usually, a TOAST
-- page for the vector: the 20,000-row walk took 60-66 ms warm at 10 million cases. Here the vectors sit in a narrow
-- table written once per case, in the order cases arrive, so the same walk reads a few thousand consecutive pages.
-- The cases table keeps `search_terms` (the text the vector is made from, and SQLite's FTS5 source); it loses the
-- generated vector and its GIN index, which every non-HOT update of a case (each step of the workflow) wrote again.
--
-- The vector is derived by the database, as the generated column was: a trigger writes it when a case is inserted or
-- its terms (or its instant or number, which never change in practice) are updated, whatever path writes the case.
CREATE TABLE case_search (
    case_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    number character varying(40) NOT NULL,
    search_vector tsvector,
    CONSTRAINT pk_case_search PRIMARY KEY (case_id),
    CONSTRAINT fk_case_search_cases FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE CASCADE
);

-- Filled in the list's order, so that the newest cases' vectors are the table's last pages.
INSERT INTO case_search (case_id, created_at, number, search_vector)
SELECT id, created_at, number, search_vector FROM cases ORDER BY created_at, number;

CREATE INDEX ix_case_search_created_at ON case_search (created_at, number);
CREATE INDEX ix_case_search_vector ON case_search USING gin (search_vector);

CREATE FUNCTION case_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_search (case_id, created_at, number, search_vector)
    VALUES (NEW.id, NEW.created_at, NEW.number, array_to_tsvector(string_to_array(NEW.search_terms, ' ')))
    ON CONFLICT (case_id) DO UPDATE
        SET created_at = EXCLUDED.created_at, number = EXCLUDED.number, search_vector = EXCLUDED.search_vector;
    RETURN NULL;
END
$$;

CREATE TRIGGER tr_cases_search AFTER INSERT OR UPDATE OF search_terms, created_at, number ON cases
    FOR EACH ROW EXECUTE FUNCTION case_search_sync();

DROP INDEX ix_cases_search_vector;
ALTER TABLE cases DROP COLUMN search_vector;
