-- Ticket lists and full-text search (issue 11 item 7).
--
-- Lists. Every index here is written when a ticket is created, and each
-- that holds updated_at again whenever a ticket is touched (every mail),
-- so there are few: one per order (activity, due time, priority; the due
-- and priority ones are expression indexes over the expressions
-- store/list.go uses, dueKey and rankKey there, which must stay equal) and
-- one per narrow filter (an assignee's, a department's, a topic's, a
-- requester's tickets; overdue ones), without updated_at. A list finds
-- its tickets by its smallest narrow filter and sorts them, or walks its
-- order's index testing each ticket (store/list.go, sortLimit).
CREATE INDEX tickets_activity ON tickets(property_id, updated_at, id);
CREATE INDEX tickets_due ON tickets(property_id,
    (CASE WHEN first_response_at = 0 AND first_response_due > 0
            AND (resolution_due = 0 OR first_response_due < resolution_due) THEN first_response_due
          WHEN resolution_due > 0 THEN resolution_due
          ELSE 9223372036854775807 END), id);
CREATE INDEX tickets_rank ON tickets(property_id,
    (CASE priority WHEN 'highest' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
          WHEN 'low' THEN 2 WHEN 'lowest' THEN 1 ELSE 0 END), id);
CREATE INDEX tickets_assignee ON tickets(assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_department ON tickets(department_id);
CREATE INDEX tickets_topic ON tickets(topic_id) WHERE topic_id IS NOT NULL;
CREATE INDEX tickets_requester ON tickets(requester_id);
CREATE INDEX tickets_overdue ON tickets(property_id, updated_at, id) WHERE overdue_at > 0 AND status != 'closed';

-- Tags, one row per ticket and tag, kept in step with tickets.tags by
-- store's SetTags, for the indexed tag filter.
CREATE TABLE ticket_tags (
    property_id BIGINT NOT NULL,
    tag         TEXT    NOT NULL,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id),
    PRIMARY KEY (property_id, tag, ticket_id)
);
CREATE INDEX ticket_tags_ticket ON ticket_tags(ticket_id);
WITH RECURSIVE split(ticket_id, property_id, tag, rest) AS (
    SELECT id, property_id, '', tags || char(10) FROM tickets WHERE tags != ''
    UNION ALL
    SELECT ticket_id, property_id, substr(rest, 1, instr(rest, char(10)) - 1), substr(rest, instr(rest, char(10)) + 1)
    FROM split WHERE rest != ''
)
INSERT OR IGNORE INTO ticket_tags (property_id, tag, ticket_id)
SELECT property_id, tag, ticket_id FROM split WHERE tag != '';

-- Full-text search (SQLite FTS5), Unicode-aware and accent-insensitive:
-- "nao" finds "não", "cafe" finds "Café". Two external-content indexes (the
-- text is stored once, in its own table): messages (subject, text body,
-- author's name and address; the rowid is the message's id, so a message
-- moved to another ticket is found in its new ticket) and contacts (name
-- and address, for the requester). Triggers write them in the transaction
-- that writes the row, so a search right after a 250 finds the mail.
-- columnsize=0: no per-row sizes (only bm25 ranking reads them, and
-- results are ordered as lists are), one write fewer per message.
CREATE VIRTUAL TABLE message_fts USING fts5(subject, text_body, author_name, author_email,
    content='messages', content_rowid='id', columnsize=0, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER message_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_fts(rowid, subject, text_body, author_name, author_email)
    VALUES (new.id, new.subject, new.text_body, new.author_name, new.author_email);
END;
CREATE TRIGGER message_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_fts(message_fts, rowid, subject, text_body, author_name, author_email)
    VALUES ('delete', old.id, old.subject, old.text_body, old.author_name, old.author_email);
END;
CREATE TRIGGER message_fts_update AFTER UPDATE OF subject, text_body, author_name, author_email ON messages BEGIN
    INSERT INTO message_fts(message_fts, rowid, subject, text_body, author_name, author_email)
    VALUES ('delete', old.id, old.subject, old.text_body, old.author_name, old.author_email);
    INSERT INTO message_fts(rowid, subject, text_body, author_name, author_email)
    VALUES (new.id, new.subject, new.text_body, new.author_name, new.author_email);
END;
INSERT INTO message_fts(message_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE contact_fts USING fts5(name, email,
    content='contacts', content_rowid='id', columnsize=0, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER contact_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contact_fts(rowid, name, email) VALUES (new.id, new.name, new.email);
END;
CREATE TRIGGER contact_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contact_fts(contact_fts, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
END;
-- Delivery upserts the sender's contact on every mail; only a real change
-- of name or address rewrites its index entry.
CREATE TRIGGER contact_fts_update AFTER UPDATE OF name, email ON contacts
    WHEN old.name IS NOT new.name OR old.email IS NOT new.email BEGIN
    INSERT INTO contact_fts(contact_fts, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
    INSERT INTO contact_fts(rowid, name, email) VALUES (new.id, new.name, new.email);
END;
INSERT INTO contact_fts(contact_fts) VALUES ('rebuild');
