-- CityLoop schema version 0007: bigram search terms of cases and the indexes of the workbench lists at scale
-- (decision 013). Case numbers on PostgreSQL come from one sequence per platform and day, created on first use.
ALTER TABLE cases ADD COLUMN search_terms text;

-- Every term of the case's title, description and address (Features/Search/Bigrams.cs); a query needs all of its
-- terms, with prefix matching for lone characters and Latin words, which a tsvector GIN index answers. The vector is
-- stored (not in the EF model): checking a row then costs a lookup, not a parse of its terms.
ALTER TABLE cases ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_terms, ' '))) STORED;
CREATE INDEX ix_cases_search_vector ON cases USING gin (search_vector);

CREATE INDEX ix_cases_clock_due_at ON cases (clock_due_at);
CREATE INDEX ix_cases_reporter_phone_closed_at ON cases (reporter_phone, closed_at);
CREATE INDEX ix_cases_street_code_created_at ON cases (street_code, created_at);
CREATE INDEX ix_cases_community_code_created_at ON cases (community_code, created_at);

