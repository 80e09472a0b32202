-- The desk (issue 11): five priorities, SLA due times, topics, closing
-- reasons, merges, member availability and contact phones. Tables of the
-- desk's features (SLA policies, search, fields...) come in later steps.

-- Five priorities: lowest, low, medium (the default), high, highest.
UPDATE tickets SET priority = 'medium' WHERE priority = 'normal';
UPDATE tickets SET priority = 'highest' WHERE priority = 'urgent';

-- A per-property list of topics; a ticket has at most one.
CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (property_id, name)
);

ALTER TABLE tickets ADD COLUMN topic_id INTEGER REFERENCES topics(id);
-- SLA due times and what happened to them (unix ms; 0: none).
ALTER TABLE tickets ADD COLUMN first_response_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN resolution_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN first_response_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN overdue_at INTEGER NOT NULL DEFAULT 0;
-- Closing: why (resolved, cancelled), by whom, when.
ALTER TABLE tickets ADD COLUMN closed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN closed_at INTEGER NOT NULL DEFAULT 0;
-- A merged ticket points to the ticket it was merged into.
ALTER TABLE tickets ADD COLUMN merged_into INTEGER REFERENCES tickets(id);

-- Round-robin assignment: who takes new tickets, and how many open ones.
ALTER TABLE members ADD COLUMN available INTEGER NOT NULL DEFAULT 1;
ALTER TABLE members ADD COLUMN capacity INTEGER NOT NULL DEFAULT 0; -- 0: no limit

ALTER TABLE contacts ADD COLUMN phone TEXT NOT NULL DEFAULT '';
