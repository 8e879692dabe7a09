-- CityLoop schema version 0007: bigram search terms of cases and the indexes of the workbench lists at scale
-- (decision 013). Case numbers on PostgreSQL come from one sequence per platform and day, created on first use.
ALTER TABLE cases ADD COLUMN search_terms text;

-- Every term of the case's title, description and address (Features/Search/Bigrams.cs); a query needs all of its
-- terms, with prefix matching for lone characters and Latin words, which a tsvector GIN index answers.
CREATE INDEX ix_cases_search_terms ON cases USING gin (array_to_tsvector(string_to_array(search_terms, ' ')));

CREATE INDEX ix_cases_clock_due_at ON cases (clock_due_at);
CREATE INDEX ix_cases_reporter_phone_closed_at ON cases (reporter_phone, closed_at);
CREATE INDEX ix_cases_street_code_created_at ON cases (street_code, created_at);
CREATE INDEX ix_cases_community_code_created_at ON cases (community_code, created_at);

-- The search condition as the application writes it (Features/Search/BigramSearch.cs): a one-line SQL function that
-- the planner inlines, so the GIN index above matches it.
CREATE FUNCTION cityloop_matches(terms text, query text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_to_tsvector(string_to_array(terms, ' ')) @@ CAST(query AS tsquery) $$;
