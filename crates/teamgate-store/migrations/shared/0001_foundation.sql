-- Timestamps are milliseconds since the Unix epoch; ids are UUID text.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Bumped in the same transaction as every change to who may do what.
    version    BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE memberships (
    org_id    TEXT NOT NULL REFERENCES orgs (id),
    user_id   TEXT NOT NULL REFERENCES users (id),
    role      TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);
CREATE INDEX memberships_by_join ON memberships (org_id, joined_at, user_id);
CREATE INDEX memberships_by_role ON memberships (org_id, role);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at   BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE invites (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    status      TEXT NOT NULL,
    invited_by  TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_by TEXT,
    email_error TEXT
);
CREATE UNIQUE INDEX invites_one_pending ON invites (org_id, email) WHERE status = 'pending';
CREATE INDEX invites_by_org ON invites (org_id, created_at, id);

-- Every token an invite was sent with; a resend replaces the live one, so an
-- old link answers "replaced" rather than "unknown".
CREATE TABLE invite_tokens (
    token_hash TEXT PRIMARY KEY,
    invite_id  TEXT NOT NULL REFERENCES invites (id),
    created_at BIGINT NOT NULL,
    replaced   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX invite_tokens_by_invite ON invite_tokens (invite_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_by_org ON api_keys (org_id, created_at, id);

CREATE TABLE audit_events (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES orgs (id),
    seq                BIGINT NOT NULL,
    occurred_at        TEXT NOT NULL,
    occurred_ms        BIGINT NOT NULL,
    actor_type         TEXT NOT NULL,
    actor_id           TEXT,
    actor_label        TEXT,
    actor_role         TEXT,
    actor_on_behalf_of TEXT,
    action             TEXT NOT NULL,
    target_type        TEXT NOT NULL,
    target_id          TEXT,
    target_label       TEXT,
    changes            TEXT NOT NULL,
    context_ip         TEXT,
    context_user_agent TEXT,
    context_request_id TEXT,
    outcome            TEXT NOT NULL,
    prev_hash          TEXT NOT NULL,
    hash               TEXT NOT NULL,
    UNIQUE (org_id, seq)
);
CREATE INDEX audit_by_action ON audit_events (org_id, action, seq);
CREATE INDEX audit_by_actor ON audit_events (org_id, actor_id, seq);
CREATE INDEX audit_by_target ON audit_events (org_id, target_id, seq);
CREATE INDEX audit_by_time ON audit_events (org_id, occurred_ms, seq);
