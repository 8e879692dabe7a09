-- CityLoop schema version 0002: reference data (areas, unit grids, components, versioned category catalogue,
-- responsibility rules, working calendars, named places). Generated from the EF model with 'schema-script', then reviewed.
CREATE TABLE areas (
    code character varying(12) NOT NULL,
    name text NOT NULL,
    level character varying(16) NOT NULL,
    parent_code text,
    geometry text,
    synthetic boolean NOT NULL,
    CONSTRAINT "PK_areas" PRIMARY KEY (code)
);

CREATE TABLE calendar_exceptions (
    scope text NOT NULL,
    date date NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    CONSTRAINT "PK_calendar_exceptions" PRIMARY KEY (scope, date)
);

CREATE TABLE calendars (
    scope text NOT NULL,
    time_zone text,
    weekly text,
    make_up_day text,
    updated_at timestamp with time zone NOT NULL,
    updated_by text NOT NULL,
    CONSTRAINT "PK_calendars" PRIMARY KEY (scope)
);

CREATE TABLE catalogue_versions (
    version integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    created_by text NOT NULL,
    note text,
    CONSTRAINT "PK_catalogue_versions" PRIMARY KEY (version)
);

CREATE TABLE categories (
    version integer NOT NULL,
    key text NOT NULL,
    kind text NOT NULL,
    code text NOT NULL,
    level text NOT NULL,
    parent_code text,
    name text NOT NULL,
    ordinal integer NOT NULL,
    CONSTRAINT "PK_categories" PRIMARY KEY (version, key)
);

CREATE TABLE components (
    id character varying(16) NOT NULL,
    category_code text NOT NULL,
    name text NOT NULL,
    latitude double precision,
    longitude double precision,
    grid_code text,
    owner_department text,
    supervisor_department text,
    maintainer_department text,
    state character varying(32) NOT NULL,
    installed_on date,
    updated_on date,
    CONSTRAINT "PK_components" PRIMARY KEY (id)
);

CREATE TABLE filing_conditions (
    version integer NOT NULL,
    code text NOT NULL,
    category_key text NOT NULL,
    description text NOT NULL,
    time_limit text NOT NULL,
    closing_standard text NOT NULL,
    legal_basis text,
    notes text,
    source text NOT NULL,
    ordinal integer NOT NULL,
    CONSTRAINT "PK_filing_conditions" PRIMARY KEY (version, code)
);

CREATE TABLE grids (
    code character varying(18) NOT NULL,
    community_code text NOT NULL,
    name text NOT NULL,
    geometry text NOT NULL,
    min_lon double precision NOT NULL,
    min_lat double precision NOT NULL,
    max_lon double precision NOT NULL,
    max_lat double precision NOT NULL,
    synthetic boolean NOT NULL,
    CONSTRAINT "PK_grids" PRIMARY KEY (code)
);

CREATE TABLE hotline_time_limits (
    version integer NOT NULL,
    request_type text NOT NULL,
    name text NOT NULL,
    time_limit text NOT NULL,
    source text NOT NULL,
    CONSTRAINT "PK_hotline_time_limits" PRIMARY KEY (version, request_type)
);

CREATE TABLE named_places (
    id uuid NOT NULL,
    name text NOT NULL,
    aliases text NOT NULL,
    latitude double precision NOT NULL,
    longitude double precision NOT NULL,
    parent_code text,
    CONSTRAINT "PK_named_places" PRIMARY KEY (id)
);

CREATE TABLE responsibility_rules (
    id text NOT NULL,
    category_code text,
    scope_kind text NOT NULL,
    scope_value text,
    lead text NOT NULL,
    assisting text NOT NULL,
    CONSTRAINT "PK_responsibility_rules" PRIMARY KEY (id)
);

CREATE INDEX ix_areas_parent_code ON areas (parent_code);

CREATE INDEX ix_components_category_code ON components (category_code);

CREATE INDEX ix_components_grid_code ON components (grid_code);

CREATE INDEX ix_filing_conditions_version_category_key ON filing_conditions (version, category_key);

CREATE INDEX ix_grids_community_code ON grids (community_code);

CREATE INDEX ix_grids_min_lon_max_lon_min_lat_max_lat ON grids (min_lon, max_lon, min_lat, max_lat);
