-- 0026 Case imports per platform (docs/decisions/026, addendum 2).
-- A sub-centre's administrator imports their old system's history onto their own platform; a re-run is recognised per
-- platform, so the stored origin of a sub-centre's import is "origin@code" (the mapping's origin has at most 64 characters).
ALTER TABLE case_imports ALTER COLUMN origin TYPE character varying(80);
