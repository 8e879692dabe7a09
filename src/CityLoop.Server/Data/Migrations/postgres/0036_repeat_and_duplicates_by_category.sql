-- migrate: outside transaction
-- (Built with CONCURRENTLY, statement by statement: on a database of ten million cases each index takes minutes to
-- build, during which a plain CREATE INDEX would hold every intake and step of the other nodes. Decision 041.)
-- 0036 The intake's repeat check by place and the agent desktop's duplicate hints, by category (docs/decisions/040).
--
-- Each intake with a category and a point asks for the cases of that category closed in the last 30 days within
-- ≈ 100 m: "state = 'Closed' AND closed_at >= @since AND category_code = @c AND latitude/longitude in a box". With no
-- index on the category and the closing instant together, PostgreSQL ANDed the bitmap of every case of the category
-- with that of every case closed since the date (read from the phone index's second column): at 10 million cases
-- 380-750 ms for one intake. The closed cases of a category by closing instant, with the point and the number, answer
-- it from a short range of one index (at most a month of one category's closings).
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_cases_category_code_closed_at ON cases (category_code, closed_at)
    INCLUDE (latitude, longitude, number) WHERE state = 'Closed';

-- The duplicate hints while an agent types ask the same of the cases created in the last 30 days, whatever their
-- state (≈ 90 ms at 10 million, the same bitmap AND). The category with the creation instant replaces the index on the
-- category alone (its first column still serves every look-up by category), so the count of indexes on a new case stays
-- the same.
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_cases_category_code_created_at ON cases (category_code, created_at) INCLUDE (latitude, longitude, state);
DROP INDEX CONCURRENTLY IF EXISTS ix_cases_category_code;
