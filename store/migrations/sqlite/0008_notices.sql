-- Notices to members are folded per member and topic: the first goes out at
-- once, later ones wait in pending_notices and leave as one digest once the
-- window since the last notice of that topic to that member has passed.
-- outbox.topic names the topic of a notice row ('' for other kinds).
ALTER TABLE outbox ADD COLUMN topic TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_notice_topic ON outbox(property_id, rcpt_id, topic, created_at) WHERE kind = 'notice';

CREATE TABLE pending_notices (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    ticket_id   INTEGER REFERENCES tickets(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    rcpt        TEXT    NOT NULL,
    topic       TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX pending_notices_group ON pending_notices(property_id, member_id, topic, id);

-- Held mail keeps its envelope, so that a release runs it through the
-- pipeline as it arrived, and what became of it: held, released or
-- discarded, by whom and when.
ALTER TABLE held ADD COLUMN env_from TEXT NOT NULL DEFAULT '';
ALTER TABLE held ADD COLUMN env_to TEXT NOT NULL DEFAULT '';
ALTER TABLE held ADD COLUMN status TEXT NOT NULL DEFAULT 'held';
ALTER TABLE held ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE held ADD COLUMN resolved_at INTEGER NOT NULL DEFAULT 0;
