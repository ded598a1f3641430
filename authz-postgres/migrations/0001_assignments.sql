-- authz-postgres: role assignments per (issuer, subject, tenant), pushed to every instance of
-- the service by NOTIFY. Run it with psql or your migration tool, or let
-- `authz_postgres::migrate` apply it (it is idempotent).
--
-- Role names are checked against the service's policy when written through authz-postgres; a
-- name a deployment's policy does not declare grants nothing there and is reported.
-- The lengths keep every NOTIFY payload under PostgreSQL's 8000-byte limit.

CREATE TABLE IF NOT EXISTS authz_role_assignments (
    issuer     text        NOT NULL CHECK (octet_length(issuer) <= 512),
    subject    text        NOT NULL CHECK (octet_length(subject) BETWEEN 1 AND 256),
    tenant     text        NOT NULL CHECK (octet_length(tenant) BETWEEN 1 AND 256),
    role       text        NOT NULL CHECK (octet_length(role) BETWEEN 1 AND 256),
    -- Who made the change: the acting caller's issuer and subject (empty for setup code).
    granted_by text        NOT NULL DEFAULT '',
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject, tenant, role)
);

-- Every changed row names its member on the channel; instances re-read that member's rows
-- (a message is a hint, never the data: anyone who can connect may NOTIFY).
CREATE OR REPLACE FUNCTION authz_role_assignments_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM pg_notify('authz_role_assignments',
                          json_build_array(OLD.issuer, OLD.subject, OLD.tenant)::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('authz_role_assignments',
                          json_build_array(NEW.issuer, NEW.subject, NEW.tenant)::text);
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE removes rows without row triggers: instances load everything again.
CREATE OR REPLACE FUNCTION authz_role_assignments_reload() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('authz_role_assignments', 'reload');
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS authz_role_assignments_changed ON authz_role_assignments;
CREATE TRIGGER authz_role_assignments_changed
    AFTER INSERT OR UPDATE OR DELETE ON authz_role_assignments
    FOR EACH ROW EXECUTE FUNCTION authz_role_assignments_notify();

DROP TRIGGER IF EXISTS authz_role_assignments_truncated ON authz_role_assignments;
CREATE TRIGGER authz_role_assignments_truncated
    AFTER TRUNCATE ON authz_role_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION authz_role_assignments_reload();
