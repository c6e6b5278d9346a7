-- The platform's features: agents, campaigns, the inbox, billing and payment
-- settings. Every row belongs to one organisation and is only ever read
-- through it. Timestamps are milliseconds since the Unix epoch; ids are UUID
-- text; JSON configuration is stored as its serialised text.

-- Chat, WhatsApp and voice agents share one shape, told apart by `kind`.
CREATE TABLE agents (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    kind       TEXT NOT NULL CHECK (kind IN ('chat', 'whatsapp', 'voice')),
    name       TEXT NOT NULL,
    config     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agents_by_org ON agents (org_id, kind, created_at, id);

CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'launched')),
    launched_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX campaigns_by_org ON campaigns (org_id, created_at, id);

CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    contact    TEXT NOT NULL,
    channel    TEXT NOT NULL CHECK (channel IN ('chat', 'whatsapp', 'voice')),
    status     TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    -- A member's user id; membership is checked when assigning.
    assignee   TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at  BIGINT
);
CREATE INDEX conversations_by_org ON conversations (org_id, created_at, id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    -- Who wrote it as shown to people: the contact, or the member or key replying.
    author          TEXT NOT NULL,
    author_id       TEXT,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX messages_by_org ON messages (org_id, created_at, id);
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at, id);

-- One row per organisation once billing was set; until then the free plan.
CREATE TABLE billing (
    org_id        TEXT PRIMARY KEY REFERENCES orgs (id),
    plan          TEXT NOT NULL,
    billing_email TEXT,
    updated_at    BIGINT NOT NULL
);

-- A label and an address only: card numbers are refused before they get here.
CREATE TABLE payment_settings (
    org_id               TEXT PRIMARY KEY REFERENCES orgs (id),
    payment_method_label TEXT,
    billing_address      TEXT,
    updated_at           BIGINT NOT NULL
);
