-- 0039 A scoped reader's word known to be common is not collected to be thrown away (docs/decisions/047).
--
-- PostgreSQL keeps, for a tsvector column, its most common elements and their frequencies: ten times the statistics
-- target, 1,000 by default. At ten million cases the thousandth bigram is in 0.77 % of them, so every word below that —
-- 53,000 cases or 900 — got the same estimate (38,619), and a department's handler typing a word in 50,000 cases had its
-- first 5,001 matches collected from the search index (≈ 45 ms warm) only to find they were too many to sort. With a
-- target of 1,000 the statistics name the 10,000 most common elements (down to 0.17 % at ten million cases, ≈ 17,000
-- cases); ANALYZE samples 300,000 rows instead of 30,000, and planning a text search reads the longer list (≈ 0.3 ms
-- instead of 0.05).
--
-- ANALYZE reads a sample of 300,000 rows, ≈ 1 minute at ten million cases; both statements take the table's SHARE UPDATE
-- EXCLUSIVE lock, which no intake, step or read waits on (only a vacuum or an index build of the table would).
ALTER TABLE case_search ALTER COLUMN search_vector SET STATISTICS 1000;
ANALYZE case_search;
