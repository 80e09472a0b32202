-- The search index is written once per transaction, at its end, not by
-- each insert: FTS5 writes its pending terms to disk whenever a statement
-- of the transaction opens a savepoint (every statement that fires a
-- trigger or may abort does), so indexing row by row flushed the index
-- once per statement of a delivery and cost a tenth of the writer's time.
-- Inserts now queue the row in fts_pending; the store indexes what is
-- queued right before it commits (store/search.go, flushSearch), in the
-- same transaction, so a search right after a 250 finds the mail.
CREATE TABLE fts_pending (
    kind TEXT    NOT NULL, -- 'm' a message, 'c' a contact
    id   BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);

DROP TRIGGER message_fts_insert;
CREATE TRIGGER message_fts_insert AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO fts_pending (kind, id) VALUES ('m', new.id);
END;
-- A row still queued is not in the index yet: its update or delete has
-- nothing there to remove (the flush reads the row as it then is).
DROP TRIGGER message_fts_delete;
CREATE TRIGGER message_fts_delete AFTER DELETE ON messages
    WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE kind = 'm' AND id = old.id) BEGIN
    INSERT INTO message_fts(message_fts, rowid, subject, text_body, author_name, author_email)
    VALUES ('delete', old.id, old.subject, old.text_body, old.author_name, old.author_email);
END;
DROP TRIGGER message_fts_update;
CREATE TRIGGER message_fts_update AFTER UPDATE OF subject, text_body, author_name, author_email ON messages
    WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE kind = 'm' AND id = old.id) BEGIN
    INSERT INTO message_fts(message_fts, rowid, subject, text_body, author_name, author_email)
    VALUES ('delete', old.id, old.subject, old.text_body, old.author_name, old.author_email);
    INSERT INTO message_fts(rowid, subject, text_body, author_name, author_email)
    VALUES (new.id, new.subject, new.text_body, new.author_name, new.author_email);
END;

DROP TRIGGER contact_fts_insert;
CREATE TRIGGER contact_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT OR IGNORE INTO fts_pending (kind, id) VALUES ('c', new.id);
END;
DROP TRIGGER contact_fts_delete;
CREATE TRIGGER contact_fts_delete AFTER DELETE ON contacts
    WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE kind = 'c' AND id = old.id) BEGIN
    INSERT INTO contact_fts(contact_fts, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
END;
DROP TRIGGER contact_fts_update;
CREATE TRIGGER contact_fts_update AFTER UPDATE OF name, email ON contacts
    WHEN (old.name IS NOT new.name OR old.email IS NOT new.email)
    AND NOT EXISTS (SELECT 1 FROM fts_pending WHERE kind = 'c' AND id = old.id) BEGIN
    INSERT INTO contact_fts(contact_fts, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
    INSERT INTO contact_fts(rowid, name, email) VALUES (new.id, new.name, new.email);
END;
