-- Every mail postdesk sends is an outbox row, written in the transaction of
-- the event that caused it and delivered by the notify worker. The mail is
-- rendered at send time from the row and the ticket; msg_id is fixed here so
-- a resend after a crash carries the same Message-ID.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    property_id  INTEGER NOT NULL REFERENCES properties(id),
    ticket_id    INTEGER REFERENCES tickets(id),
    message_id   INTEGER REFERENCES messages(id),
    kind         TEXT    NOT NULL,  -- ack, copy, reply, notice
    rcpt         TEXT    NOT NULL,
    rcpt_kind    TEXT    NOT NULL,  -- contact or member
    rcpt_id      INTEGER NOT NULL,
    msg_id       TEXT    NOT NULL,
    subject      TEXT    NOT NULL,  -- for notices
    body         TEXT    NOT NULL,  -- for notices
    status       TEXT    NOT NULL,  -- queued, sent, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(status, next_attempt);
CREATE INDEX outbox_rate ON outbox(property_id, rcpt, kind, created_at);

-- Addresses that bounced permanently: no more mail until cleared.
CREATE TABLE suppressions (
    property_id INTEGER NOT NULL REFERENCES properties(id),
    address     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (property_id, address)
);

-- Delivery status notifications and abuse reports: never tickets.
CREATE TABLE bounces (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    outbox_id   INTEGER REFERENCES outbox(id),
    ticket_id   INTEGER REFERENCES tickets(id),
    recipient   TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    diagnostic  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,  -- dsn, arf, other
    raw_sha256  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX bounces_ticket ON bounces(ticket_id);

-- Mail accepted but not posted: a forged agent mail, our own mail looping
-- back, a sender over the new-ticket limit. Kept whole, never dropped.
CREATE TABLE held (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    reason      TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    raw_sha256  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

ALTER TABLE properties ADD COLUMN ack_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tickets ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN snoozed_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_requester ON tickets(requester_id, created_at);
