-- 0044 A change of a staff member's contact row is heard by every node (docs/decisions/052, addendum).
--
-- The staff directory of decision 050 now carries each active account's contact row (phone, e-mail), so that a
-- notifying step no longer reads user_contacts: a change of that row must drop the directory on every node at its
-- commit, as a change of the account does. It is told on the accounts' channel with the user's id.
CREATE OR REPLACE FUNCTION cityloop_user_contact_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cityloop_users', COALESCE(OLD.user_id, NEW.user_id)::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER user_contacts_changed AFTER INSERT OR UPDATE OR DELETE ON user_contacts FOR EACH ROW EXECUTE FUNCTION cityloop_user_contact_changed();
