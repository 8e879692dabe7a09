-- 0042 A new account is heard by every node too (docs/decisions/050).
--
-- 0022's trigger told the nodes of an account's update or deletion, enough for a cache of users by id (a new account
-- is not in it). The staff directory of decision 050 (every active account with its roles, for the act-now notices of
-- the workflow's steps) must also drop when an account is added, or another node would not tell a new handler of a
-- dispatch until some account changed.
DROP TRIGGER users_changed ON users;
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION cityloop_user_changed();
