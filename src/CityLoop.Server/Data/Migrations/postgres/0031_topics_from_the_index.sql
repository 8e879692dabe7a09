-- 0031 每月一题 from the index (docs/decisions/033, addendum). The month's topics group every fact row received in the
-- month by category and place: at 10 million cases that is ≈ 240,000 heap fetches of ≈ 800-byte rows (1.1 s). The index
-- the month's walk already uses carries the grouping's columns, so the grouping is an index-only scan (the facts of past
-- months are all-visible). The same index, wider: no index is added.
DROP INDEX IF EXISTS ix_case_facts_received_at_platform_code;
CREATE INDEX ix_case_facts_received_at_platform_code ON case_facts (received_at, platform_code) INCLUDE (category_code, community_code, street_code, repeat);
