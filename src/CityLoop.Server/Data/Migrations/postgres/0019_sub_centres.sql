-- 0019 Sub-centres in one deployment (docs/decisions/026): the registry of the deployment's platforms below the root
-- (Platform:Code), the platform of each person and department (NULL: the root platform), and a 市派 filed once.
CREATE TABLE platforms (
    code varchar(64) NOT NULL PRIMARY KEY,
    name varchar(200) NOT NULL,
    parent_code varchar(64) NULL,
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    created_by text NOT NULL
);
ALTER TABLE users ADD COLUMN platform_code varchar(64) NULL;
ALTER TABLE departments ADD COLUMN platform_code varchar(64) NULL;
ALTER TABLE departments ADD COLUMN disabled boolean NOT NULL DEFAULT false;
CREATE INDEX ix_users_platform_code ON users (platform_code);
CREATE INDEX ix_departments_platform_code ON departments (platform_code);
CREATE INDEX ix_cases_platform_code_created_at ON cases (platform_code, created_at);
-- A case dispatched down by the upper platform (市派) exists once in the deployment, however it came in.
CREATE UNIQUE INDEX ux_cases_upper_number ON cases (external_id) WHERE source = 'UpperPlatform' AND external_id IS NOT NULL;
