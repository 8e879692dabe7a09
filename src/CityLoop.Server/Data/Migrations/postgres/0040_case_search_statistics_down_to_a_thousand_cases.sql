-- 0040 The statistics name every word a scoped reader's search needs to know about (docs/decisions/048).
--
-- A tsvector column's statistics keep at most ten times the statistics target of most common elements, and of those only
-- the ones the sample counts more than a cutoff (ANALYZE's lossy counting: ≈ 1.9 times the mean number of terms a case
-- holds, in a sample of 300 rows per point of the target). With 0039's target of 1,000 the 10,000 slots were the bound:
-- at ten million cases they ran out at ≈ 16,700 cases, and the words just under it (15,700–17,800 cases in the list
-- benchmark) were collected 5,001 matches at a time only to be too many for a department's page (decision 047). With a
-- target of 3,400 the cutoff binds instead: 15,025 elements at ten million cases, down to ≈ 1,060 cases (0.01 %), well
-- under TextScopedCommonRows (10,000); the rest of the 34,000 slots stay free for a city whose texts use more words.
--
-- ANALYZE samples 1,020,000 rows, ≈ 72 s at ten million cases (61 s at 1,000); both statements take the table's SHARE
-- UPDATE EXCLUSIVE lock, which no intake, step or read waits on (only a vacuum or an index build of the table would).
-- Planning a text statement reads the longer list: ≈ 0.5–0.7 ms instead of ≈ 0.3.
ALTER TABLE case_search ALTER COLUMN search_vector SET STATISTICS 3400;
ANALYZE case_search;
