-- 0041 The search vector's function is planned once per session, not on every intake (docs/decisions/049).
--
-- 0038 wrote `case_search_vector` in SQL. A SQL function whose body holds a sub-select (the EXISTS on `platforms`) is
-- not inlined, and each execution of the statement calling it — the trigger's INSERT into `case_search`, once per
-- intake and per change of a case's terms — parsed and planned the body again: in a `perf` profile of the intake
-- benchmark (8 connections) `fmgr_sql` was 5 % of the machine's CPU samples, a sixth of PostgreSQL's. PL/pgSQL keeps
-- the plans of its statements for the session. Same arguments, same result: the terms without empty ones, and on a
-- registered sub-centre each term again as `<platform>:<term>`.
CREATE OR REPLACE FUNCTION case_search_vector(terms text[], platform text) RETURNS tsvector LANGUAGE plpgsql STABLE AS $$
DECLARE
    words text[];
BEGIN
    IF terms IS NULL THEN
        RETURN NULL;
    END IF;
    words := array_remove(terms, '');
    IF EXISTS (SELECT 1 FROM platforms p WHERE p.code = platform) THEN
        words := words || ARRAY(SELECT platform || ':' || t FROM unnest(words) AS t);
    END IF;
    RETURN array_to_tsvector(words);
END
$$;
