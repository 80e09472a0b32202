-- The delivery log of webhooks (issue 13): one row per attempt to POST an
-- event to an endpoint, kept for the retention period. delivery_id is 0
-- and event_id 0 for a test sent by hand (postdesk webhook test).
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    webhook_id  INTEGER NOT NULL,
    delivery_id INTEGER NOT NULL DEFAULT 0,
    event_id    INTEGER NOT NULL DEFAULT 0,
    msg_id      TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts(webhook_id, id);
CREATE INDEX webhook_attempts_started ON webhook_attempts(started_at);
CREATE INDEX hook_events_created ON hook_events(created_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);
