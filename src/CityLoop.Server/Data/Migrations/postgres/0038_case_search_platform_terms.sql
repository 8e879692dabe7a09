-- 0038 A sub-centre's cases carry their words a second time, qualified by the platform (docs/decisions/045).
--
-- A sub-centre's staff see their platform's cases only (decision 026), and the platform was not in `case_search`: a
-- sub-centre's text search walked its platform's cases one look-up of `case_search` at a time, or read each of the
-- city's matches' cases by key to find its own (decision 042). Here the vector of a case on a registered sub-centre
-- (a row of `platforms`) holds each of its terms twice: as it is, for the city's readers, and as `<platform>:<term>`,
-- for the sub-centre's, whose search asks for the qualified terms and is answered from `case_search` alone, as the root
-- platform's readers are (decisions 039, 043, 044). A bigram is letters and digits, never `:`, so no typed query matches
-- a qualified term by accident. (A single term `@<platform>` intersected with the words was tried first: that term is
-- in every case of the sub-centre, and the search index decoded its whole posting tree for every search, ≈ 20 ms.)
-- The root platform's cases are not in `platforms` and get no qualified terms: a deployment without sub-centres pays
-- nothing.
CREATE FUNCTION case_search_vector(terms text[], platform text) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN terms IS NULL THEN NULL ELSE array_to_tsvector(array_remove(terms, '')
        || CASE WHEN EXISTS (SELECT 1 FROM platforms p WHERE p.code = platform)
                THEN ARRAY(SELECT platform || ':' || t FROM unnest(array_remove(terms, '')) AS t)
                ELSE ARRAY[]::text[] END) END
$$;

-- The vectors are rewritten by rebuilding the table in the list's order, not updated in place: an update of every row
-- would move the rows and undo what the creation-time ranges of decision 044 rely on. Intakes and case updates wait
-- for the rebuild (≈ 14 minutes at ten million cases on the benchmark machine; reads go on until the swap), as for
-- migration 0035.
LOCK TABLE cases, case_search IN SHARE MODE;

CREATE TABLE case_search_next (
    case_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    number character varying(40) NOT NULL,
    search_vector tsvector
);

INSERT INTO case_search_next (case_id, created_at, number, search_vector)
SELECT id, created_at, number, case_search_vector(string_to_array(search_terms, ' '), platform_code) FROM cases ORDER BY created_at, number;

DROP TABLE case_search;
ALTER TABLE case_search_next RENAME TO case_search;
ALTER TABLE case_search ADD CONSTRAINT pk_case_search PRIMARY KEY (case_id);
ALTER TABLE case_search ADD CONSTRAINT fk_case_search_cases FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE CASCADE;
CREATE INDEX ix_case_search_created_at ON case_search (created_at, number);
CREATE INDEX ix_case_search_vector ON case_search USING gin (search_vector);
CREATE INDEX ix_case_search_created_at_brin ON case_search USING brin (created_at) WITH (autosummarize = on);

-- The trigger writes the vector with the platform's qualified terms, and again when a case is handed over to another
-- platform.
CREATE OR REPLACE FUNCTION case_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_search (case_id, created_at, number, search_vector)
    VALUES (NEW.id, NEW.created_at, NEW.number, case_search_vector(string_to_array(NEW.search_terms, ' '), NEW.platform_code))
    ON CONFLICT (case_id) DO UPDATE
        SET created_at = EXCLUDED.created_at, number = EXCLUDED.number, search_vector = EXCLUDED.search_vector;
    RETURN NULL;
END
$$;

DROP TRIGGER tr_cases_search ON cases;
CREATE TRIGGER tr_cases_search AFTER INSERT OR UPDATE OF search_terms, created_at, number, platform_code ON cases
    FOR EACH ROW EXECUTE FUNCTION case_search_sync();

-- A sub-centre registered when cases on its code already exist (none, in the ordinary course): their vectors gain the
-- qualified terms.
CREATE FUNCTION platforms_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_search s SET search_vector = case_search_vector(string_to_array(c.search_terms, ' '), c.platform_code)
    FROM cases c WHERE c.id = s.case_id AND c.platform_code = NEW.code;
    RETURN NULL;
END
$$;

CREATE TRIGGER tr_platforms_search AFTER INSERT ON platforms FOR EACH ROW EXECUTE FUNCTION platforms_search_sync();

-- The planner's estimates of a sub-centre's words (decision 043) read the qualified terms' frequencies.
ANALYZE case_search;
