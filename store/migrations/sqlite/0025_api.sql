-- The HTTP API, webhooks and live events (issue 13).

-- Per-member API tokens: the token is shown once and stored as its
-- SHA-256 hash. A token belongs to an address, and acts as the member of
-- that address in each property she belongs to.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    email        TEXT    NOT NULL,
    label        TEXT    NOT NULL DEFAULT '',
    hash         TEXT    NOT NULL UNIQUE,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    revoked_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_email ON api_tokens(email);

-- What happened on the desk, as the events webhooks and live streams
-- carry: written in the transaction that made it happen, the payload a
-- snapshot of the ticket as that transaction left it. AUTOINCREMENT: an
-- id is never used again once pruned, so Last-Event-ID stays meaningful.
CREATE TABLE hook_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    type        TEXT    NOT NULL,
    ticket_id   INTEGER NOT NULL DEFAULT 0,
    payload     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX hook_events_property ON hook_events(property_id, id);

-- A property's webhook endpoints. events: the types it receives, comma
-- separated; empty for all.
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    property_id     INTEGER NOT NULL REFERENCES properties(id),
    url             TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    events          TEXT    NOT NULL DEFAULT '',
    description     TEXT    NOT NULL DEFAULT '',
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    failing_since   INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhooks_property ON webhooks(property_id);

-- One event to one endpoint: queued until delivered, retried with
-- backoff, failed when the endpoint gave up (disabled) or it was too old.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id),
    event_id        INTEGER NOT NULL REFERENCES hook_events(id),
    state           TEXT    NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    done_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);
