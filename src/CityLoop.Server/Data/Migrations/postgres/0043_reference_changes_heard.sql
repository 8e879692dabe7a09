-- 0043 Every node hears a change of the reference data at commit (docs/decisions/052).
--
-- A node keeps the reference tables in memory (ReferenceCache: the divisions, grids and gazetteer; the catalogue
-- versions; the calendars; the responsibility matrix; the departments). Until now another node's edit reached it only
-- when its copy aged out (five minutes), and the hot paths still asked the database for the current catalogue version
-- and a department's name on every step. Each statement that changes a reference table now sends
-- NOTIFY cityloop_reference with the parts of the cache it touches (PostgreSQL folds identical notifications of one
-- transaction into one, delivered at commit); a node that listens drops those parts at once.
CREATE OR REPLACE FUNCTION cityloop_reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cityloop_reference', TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE TRIGGER areas_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON areas FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('geo');
CREATE TRIGGER grids_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('geo');
CREATE TRIGGER named_places_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON named_places FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('geo');
CREATE TRIGGER components_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON components FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('geo');

CREATE TRIGGER catalogue_versions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalogue_versions FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('catalogue');
CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('catalogue');
CREATE TRIGGER filing_conditions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON filing_conditions FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('catalogue');
CREATE TRIGGER hotline_time_limits_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hotline_time_limits FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('catalogue');

CREATE TRIGGER calendars_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendars FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('calendars');
CREATE TRIGGER calendar_exceptions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_exceptions FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('calendars');
CREATE TRIGGER platforms_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON platforms FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('calendars');
CREATE TRIGGER responsibility_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON responsibility_rules FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('routing');
-- A department's name, platform, parent, working hours and whether it is in use feed three parts.
CREATE TRIGGER departments_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON departments FOR EACH STATEMENT EXECUTE FUNCTION cityloop_reference_changed('departments,calendars,routing');
