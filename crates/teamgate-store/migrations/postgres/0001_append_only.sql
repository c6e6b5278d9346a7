-- Action prefixes are matched with LIKE 'member.%'; byte order lets the
-- index serve them whatever the database's default collation.
ALTER TABLE audit_events ALTER COLUMN action TYPE TEXT COLLATE "C";

-- The audit log is append-only, even for a mistaken SQL statement.
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
