-- Proposed participants in the order they were proposed, by an id both
-- dialects keep (PostgreSQL has no rowid: its ctid is a row's place, which
-- is not insertion order once the table has freed room).
CREATE TABLE proposed_participants_new (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    email      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    UNIQUE (message_id, email)
);
INSERT INTO proposed_participants_new (id, message_id, ticket_id, email, name)
    SELECT rowid, message_id, ticket_id, email, name FROM proposed_participants ORDER BY rowid;
DROP TABLE proposed_participants;
ALTER TABLE proposed_participants_new RENAME TO proposed_participants;
CREATE INDEX proposed_participants_ticket ON proposed_participants(ticket_id);

-- Several gateways on one database (issue 12): a mailbox is fetched by one
-- gateway at a time, the one named in fetched_by, until fetch_until (ms),
-- which it renews while it fetches; a dead gateway's lease runs out and
-- another takes the mailbox over.
ALTER TABLE imap_mailboxes ADD COLUMN fetched_by TEXT NOT NULL DEFAULT '';
ALTER TABLE imap_mailboxes ADD COLUMN fetch_until INTEGER NOT NULL DEFAULT 0;
