-- Memberships that ended (left the group, account erased). An access token issued before
-- `ended_at` no longer opens that group, although it is still valid for 15 minutes: every `api`
-- process keeps these rows in memory, told of new ones by NOTIFY.
CREATE TABLE membership_revocations (
    user_id   uuid NOT NULL,
    group_id  uuid NOT NULL,
    ended_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, group_id)
);

CREATE FUNCTION membership_revocations_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_revocations', '');
    RETURN NULL;
END $$;

CREATE TRIGGER membership_revocations_changed AFTER INSERT OR UPDATE ON membership_revocations
    FOR EACH STATEMENT EXECUTE FUNCTION membership_revocations_notify();
