-- 0022 A leaner intake write path (docs/decisions/029).
-- Every change of an account tells every node at commit, so that a node may keep users in memory between requests and
-- still lose a disabled account at once (decision 003): NOTIFY cityloop_users with the user's id.
CREATE OR REPLACE FUNCTION cityloop_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cityloop_users', COALESCE(OLD.id, NEW.id)::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION cityloop_user_changed();

-- The caller's phone is stored encrypted (0006): no query looks a case up by its ciphertext, the keyed hash has its own
-- index. This one only cost every intake an index entry of ≈ 100 bytes.
DROP INDEX IF EXISTS ix_cases_reporter_phone_closed_at;
