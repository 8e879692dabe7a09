-- CityLoop schema version 0002: reference data (areas, unit grids, components, versioned category catalogue,
-- responsibility rules, working calendars, named places). Generated from the EF model with 'schema-script', then reviewed.
CREATE TABLE "areas" (
    "code" TEXT NOT NULL CONSTRAINT "PK_areas" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "parent_code" TEXT NULL,
    "geometry" TEXT NULL,
    "synthetic" INTEGER NOT NULL
);

CREATE TABLE "calendar_exceptions" (
    "scope" TEXT NOT NULL,
    "date" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "PK_calendar_exceptions" PRIMARY KEY ("scope", "date")
);

CREATE TABLE "calendars" (
    "scope" TEXT NOT NULL CONSTRAINT "PK_calendars" PRIMARY KEY,
    "time_zone" TEXT NULL,
    "weekly" TEXT NULL,
    "make_up_day" TEXT NULL,
    "updated_at" INTEGER NOT NULL,
    "updated_by" TEXT NOT NULL
);

CREATE TABLE "catalogue_versions" (
    "version" INTEGER NOT NULL CONSTRAINT "PK_catalogue_versions" PRIMARY KEY,
    "created_at" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "note" TEXT NULL
);

CREATE TABLE "categories" (
    "version" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "parent_code" TEXT NULL,
    "name" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    CONSTRAINT "PK_categories" PRIMARY KEY ("version", "key")
);

CREATE TABLE "components" (
    "id" TEXT NOT NULL CONSTRAINT "PK_components" PRIMARY KEY,
    "category_code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "latitude" REAL NULL,
    "longitude" REAL NULL,
    "grid_code" TEXT NULL,
    "owner_department" TEXT NULL,
    "supervisor_department" TEXT NULL,
    "maintainer_department" TEXT NULL,
    "state" TEXT NOT NULL,
    "installed_on" TEXT NULL,
    "updated_on" TEXT NULL
);

CREATE TABLE "filing_conditions" (
    "version" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "category_key" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "time_limit" TEXT NOT NULL,
    "closing_standard" TEXT NOT NULL,
    "legal_basis" TEXT NULL,
    "notes" TEXT NULL,
    "source" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    CONSTRAINT "PK_filing_conditions" PRIMARY KEY ("version", "code")
);

CREATE TABLE "grids" (
    "code" TEXT NOT NULL CONSTRAINT "PK_grids" PRIMARY KEY,
    "community_code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "geometry" TEXT NOT NULL,
    "min_lon" REAL NOT NULL,
    "min_lat" REAL NOT NULL,
    "max_lon" REAL NOT NULL,
    "max_lat" REAL NOT NULL,
    "synthetic" INTEGER NOT NULL
);

CREATE TABLE "hotline_time_limits" (
    "version" INTEGER NOT NULL,
    "request_type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "time_limit" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    CONSTRAINT "PK_hotline_time_limits" PRIMARY KEY ("version", "request_type")
);

CREATE TABLE "named_places" (
    "id" TEXT NOT NULL CONSTRAINT "PK_named_places" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "aliases" TEXT NOT NULL,
    "latitude" REAL NOT NULL,
    "longitude" REAL NOT NULL,
    "parent_code" TEXT NULL
);

CREATE TABLE "responsibility_rules" (
    "id" TEXT NOT NULL CONSTRAINT "PK_responsibility_rules" PRIMARY KEY,
    "category_code" TEXT NULL,
    "scope_kind" TEXT NOT NULL,
    "scope_value" TEXT NULL,
    "lead" TEXT NOT NULL,
    "assisting" TEXT NOT NULL
);

CREATE INDEX "ix_areas_parent_code" ON "areas" ("parent_code");

CREATE INDEX "ix_components_category_code" ON "components" ("category_code");

CREATE INDEX "ix_components_grid_code" ON "components" ("grid_code");

CREATE INDEX "ix_filing_conditions_version_category_key" ON "filing_conditions" ("version", "category_key");

CREATE INDEX "ix_grids_community_code" ON "grids" ("community_code");

CREATE INDEX "ix_grids_min_lon_max_lon_min_lat_max_lat" ON "grids" ("min_lon", "max_lon", "min_lat", "max_lat");
